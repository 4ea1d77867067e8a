// The outlet–topic network page. All text from the graph (names, headlines, topic
// labels and definitions) reaches the document through textContent or as a vis
// label drawn on a canvas, never as HTML: it is untrusted.
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("network-data").textContent);
  var layers = new Set(data.layers);
  var articleLayer = layers.has("articles");
  var byId = new Map();
  var edgesOf = new Map();
  var topicLabel = new Map();
  data.topics.forEach(function (t) { topicLabel.set(t.id, t.label); });
  data.nodes.forEach(function (n) { byId.set(n.id, n); edgesOf.set(n.id, []); });
  data.edges.forEach(function (e) { edgesOf.get(e.from).push(e); edgesOf.get(e.to).push(e); });

  var state = { from: data.years[0], to: data.years[1], topic: "", country: "", colourBy: "kind" };

  function el(tag, text, className) {
    var element = document.createElement(tag);
    if (text !== undefined && text !== null) element.textContent = String(text);
    if (className) element.className = className;
    return element;
  }

  function plural(count, word, words) { return count + " " + (count === 1 ? word : words || word + "s"); }
  function entries(count) { return plural(count, "entry", "entries"); }

  function inRange(years) {
    var total = 0;
    if (!years) return 0;
    Object.keys(years).forEach(function (year) {
      var y = Number(year);
      if (y >= state.from && y <= state.to) total += years[year];
    });
    return total;
  }

  function describe(n) {
    // The same facts for the hover tooltip and the details panel, as DOM text.
    var box = el("div", null, "tip");
    if (n.type === "article") {
      box.appendChild(el("div", n.headline, "name"));
      box.appendChild(el("div", "Entry · " + n.month + (n.outlet ? " · " + n.outlet : ""), "kind"));
      box.appendChild(el("div", "Topics: " + (n.topics.map(function (t) {
        return topicLabel.get(t);
      }).join(", ") || "none")));
      return box;
    }
    box.appendChild(el("div", n.label, "name"));
    if (n.type === "topic") {
      box.appendChild(el("div", "Topic", "kind"));
      if (n.definition) box.appendChild(el("div", n.definition, "definition"));
      box.appendChild(el("div", entries(n.articles)));
    } else if (n.type === "outlet") {
      var place = n.countryName ? n.countryName + " (" + n.country + ")" : "country not known";
      box.appendChild(el("div", "Outlet · " + n.kindLabel + " · " + place, "kind"));
      box.appendChild(el("div", entries(n.articles)));
      if (n.headlines && n.headlines.length) {
        box.appendChild(el("div", "Latest headlines:"));
        var list = el("ul");
        n.headlines.forEach(function (pair) { list.appendChild(el("li", pair[0] + " — " + pair[1])); });
        box.appendChild(list);
      }
    } else if (n.type === "country") {
      box.appendChild(el("div", "Country · " + plural(n.outlets, "outlet") + ", " +
        entries(n.articles), "kind"));
    }
    if (n.weightedDegree !== undefined) {
      box.appendChild(el("div", "Weighted degree " + n.weightedDegree + " · betweenness " +
        n.betweenness.toFixed(3) + " · community " + (n.community || "none")));
    }
    return box;
  }

  function colourOf(n) {
    var c = data.colours;
    if (n.type === "topic") return c.topic[n.id];
    if (n.type === "country") return c.countryNode;
    if (n.type === "article") return c.article;
    if (state.colourBy === "country") return c.country[n.country] || c.other;
    if (state.colourBy === "community") {
      return n.community ? c.community[(n.community - 1) % c.community.length] : c.other;
    }
    return c.kind[n.kind] || c.other;
  }

  function width(weight) { return 1 + 1.6 * Math.sqrt(weight); }

  function visNode(n) {
    var shapes = { topic: "diamond", outlet: "dot", country: "square", article: "dot" };
    var node = {
      id: n.id, label: n.label, x: n.x, y: n.y, size: n.size, shape: shapes[n.type],
      color: colourOf(n), title: describe(n), hidden: false
    };
    if (n.type === "topic") {
      node.font = { size: 18, strokeWidth: 4, strokeColor: "#ffffff" };
      node.mass = 3;
    }
    return node;
  }

  function edgeTitle(e) {
    var from = byId.get(e.from), to = byId.get(e.to);
    var text = (from.label || from.headline) + " — " + (to.label || to.headline);
    if (e.type === "covers") text += ": " + entries(e.weight);
    return el("div", text, "tip");
  }

  var nodes = new vis.DataSet(data.nodes.map(visNode));
  var edges = new vis.DataSet(data.edges.map(function (e) {
    return { id: e.id, from: e.from, to: e.to, width: width(e.weight), title: edgeTitle(e), hidden: false };
  }));

  var options = {
    autoResize: true,
    nodes: { borderWidth: 1, font: { size: 13, face: "DejaVu Sans, sans-serif" } },
    edges: { smooth: false, color: { color: "rgba(110,110,110,0.35)", highlight: "#333333", hover: "#555555" } },
    interaction: { hover: true, tooltipDelay: 120, hideEdgesOnDrag: true },
    layout: { randomSeed: 7, improvedLayout: false },
    physics: {
      solver: "forceAtlas2Based",
      forceAtlas2Based: { gravitationalConstant: -70, springLength: 110, springConstant: 0.05, avoidOverlap: 0.3 },
      minVelocity: 1,
      stabilization: { enabled: true, iterations: 300, updateInterval: 50, fit: true }
    }
  };

  var container = document.getElementById("network");
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, options);
  var hikgraph = { network: network, nodes: nodes, edges: edges, state: state, stableAt: null };
  window.hikgraph = hikgraph;

  network.once("stabilizationIterationsDone", function () {
    // The seeded start is already a force layout; once it has settled, physics stops
    // so the picture holds still and filters do not set it moving again.
    network.setOptions({ physics: { enabled: false } });
    hikgraph.stableAt = performance.now();
    document.body.dataset.state = "stable";
  });

  // ---- filters ----------------------------------------------------------------

  function visibleSets() {
    var visible = new Set();
    var weightInRange = new Map();
    data.edges.forEach(function (e) {
      if (e.type === "covers") {
        var w = inRange(e.years);
        if (state.topic && byId.get(e.to).topic !== state.topic) w = 0;
        weightInRange.set(e.id, w);
      }
    });
    function countryOk(n) { return !state.country || n.country === state.country; }
    data.nodes.forEach(function (n) {
      if (n.type === "article") {
        if (n.year >= state.from && n.year <= state.to && countryOk(n) &&
            (!state.topic || n.topics.indexOf(state.topic) >= 0)) visible.add(n.id);
      } else if (n.type === "topic") {
        if (!state.topic || n.topic === state.topic) visible.add(n.id);
      }
    });
    data.nodes.forEach(function (n) {
      if (n.type !== "outlet" || !countryOk(n)) return;
      var shown;
      if (articleLayer) {
        shown = edgesOf.get(n.id).some(function (e) { return e.type === "published" && visible.has(e.to); });
      } else if (state.topic) {
        shown = edgesOf.get(n.id).some(function (e) { return weightInRange.get(e.id) > 0; });
      } else {
        shown = inRange(n.years) > 0;
      }
      if (shown) visible.add(n.id);
    });
    data.nodes.forEach(function (n) {
      if (n.type === "country" && edgesOf.get(n.id).some(function (e) { return visible.has(e.from); })) {
        visible.add(n.id);
      }
    });
    var visibleEdges = new Map();
    data.edges.forEach(function (e) {
      if (!visible.has(e.from) || !visible.has(e.to)) return;
      if (e.type === "covers") {
        if (weightInRange.get(e.id) > 0) visibleEdges.set(e.id, weightInRange.get(e.id));
      } else {
        visibleEdges.set(e.id, e.weight);
      }
    });
    return { nodes: visible, edges: visibleEdges };
  }

  function applyFilters() {
    var shown = visibleSets();
    nodes.update(data.nodes.map(function (n) { return { id: n.id, hidden: !shown.nodes.has(n.id) }; }));
    edges.update(data.edges.map(function (e) {
      var w = shown.edges.get(e.id);
      return { id: e.id, hidden: w === undefined, width: width(w === undefined ? e.weight : w) };
    }));
    var counts = document.getElementById("visible-counts");
    counts.textContent = "Showing " + shown.nodes.size + " of " + data.nodes.length + " nodes and " +
      shown.edges.size + " of " + data.edges.length + " links";
    counts.dataset.nodes = String(shown.nodes.size);
    counts.dataset.edges = String(shown.edges.size);
    hikgraph.visible = { nodes: shown.nodes.size, edges: shown.edges.size };
  }
  hikgraph.applyFilters = applyFilters;

  function fillSelect(select, entries) {
    entries.forEach(function (entry) { select.appendChild(new Option(entry[1], entry[0])); });
  }

  var yearFrom = document.getElementById("year-from");
  var yearTo = document.getElementById("year-to");
  var years = [];
  for (var y = data.years[0]; y <= data.years[1]; y++) years.push([String(y), String(y)]);
  fillSelect(yearFrom, years);
  fillSelect(yearTo, years);
  var topicSelect = document.getElementById("filter-topic");
  fillSelect(topicSelect, data.topics.map(function (t) { return [t.id, t.label]; }));
  var countrySelect = document.getElementById("filter-country");
  fillSelect(countrySelect, data.countries.map(function (c) { return [c.code, c.name + " (" + c.code + ")"]; }));

  function showState() {
    yearFrom.value = String(state.from);
    yearTo.value = String(state.to);
    topicSelect.value = state.topic;
    countrySelect.value = state.country;
  }

  function readControls() {
    state.from = Number(yearFrom.value);
    state.to = Number(yearTo.value);
    if (state.from > state.to) {
      var swap = state.from; state.from = state.to; state.to = swap;
      showState();
    }
    state.topic = topicSelect.value;
    state.country = countrySelect.value;
    applyFilters();
  }
  [yearFrom, yearTo, topicSelect, countrySelect].forEach(function (select) {
    select.addEventListener("change", readControls);
  });
  document.getElementById("reset").addEventListener("click", function () {
    state.from = data.years[0]; state.to = data.years[1]; state.topic = ""; state.country = "";
    showState();
    applyFilters();
  });

  // ---- colours and legend -------------------------------------------------------

  function legendItem(list, colour, text, shape) {
    var item = el("li");
    var swatch = el("span", null, "swatch " + shape);
    swatch.style.background = colour;
    item.appendChild(swatch);
    item.appendChild(el("span", text));
    list.appendChild(item);
  }

  function drawLegend() {
    var list = document.getElementById("legend");
    list.replaceChildren();
    list.appendChild(el("li", "Topics (diamonds)", "heading"));
    data.topics.forEach(function (t) { legendItem(list, data.colours.topic[t.iri], t.label, "topic"); });
    list.appendChild(el("li", "Outlets (circles) by " + state.colourBy, "heading"));
    var c = data.colours;
    if (state.colourBy === "kind") {
      Object.keys(data.kinds).forEach(function (k) { legendItem(list, c.kind[k] || c.other, data.kinds[k], "outlet"); });
    } else if (state.colourBy === "country") {
      var named = new Map(data.countries.map(function (x) { return [x.code, x.name]; }));
      Object.keys(c.country).forEach(function (code) {
        legendItem(list, c.country[code], (named.get(code) || code) + " (" + code + ")", "outlet");
      });
      legendItem(list, c.other, "other or unknown", "outlet");
    } else {
      (data.metrics ? data.metrics.communities : []).forEach(function (community) {
        var names = community.topics.map(function (t) { return topicLabel.get(t); }).join(", ");
        legendItem(list, c.community[(community.id - 1) % c.community.length],
          community.id + ": " + (names || "no topic"), "outlet");
      });
      legendItem(list, c.other, "no community (no tagged entry)", "outlet");
    }
    if (layers.has("countries")) legendItem(list, c.countryNode, "Countries (squares)", "country");
    if (articleLayer) legendItem(list, c.article, "Entries (small circles)", "article");
  }

  document.getElementById("colour-by").addEventListener("change", function (event) {
    state.colourBy = event.target.value;
    nodes.update(data.nodes.filter(function (n) { return n.type === "outlet"; }).map(function (n) {
      return { id: n.id, color: colourOf(n) };
    }));
    drawLegend();
  });

  // ---- details, search and analytics -------------------------------------------

  function showDetails(id) {
    var details = document.getElementById("details");
    details.replaceChildren(el("h2", "Selected"));
    details.appendChild(describe(byId.get(id)));
  }

  network.on("click", function (params) {
    if (params.nodes.length) showDetails(params.nodes[0]);
  });

  var names = document.getElementById("node-names");
  var searchable = data.nodes.filter(function (n) { return n.type !== "article"; });
  searchable.forEach(function (n) { names.appendChild(new Option(n.label)); });

  function find(text) {
    var wanted = text.trim().toLowerCase();
    if (!wanted) return null;
    var exact = searchable.filter(function (n) { return n.label.toLowerCase() === wanted; });
    if (exact.length) return exact[0];
    var partial = searchable.filter(function (n) { return n.label.toLowerCase().indexOf(wanted) >= 0; });
    return partial.length ? partial[0] : null;
  }

  function choose(text) {
    var n = find(text);
    var search = document.getElementById("search");
    search.setCustomValidity(n ? "" : "No outlet or topic by that name");
    if (!n) return;
    if (nodes.get(n.id).hidden) {
      state.from = data.years[0]; state.to = data.years[1]; state.topic = ""; state.country = "";
      showState();
      applyFilters();
    }
    network.selectNodes([n.id]);
    network.focus(n.id, { scale: 1.1, animation: false });
    showDetails(n.id);
  }
  var search = document.getElementById("search");
  search.addEventListener("change", function () { choose(search.value); });
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") choose(search.value);
  });

  function drawAnalytics() {
    var panel = document.getElementById("analytics");
    var m = data.metrics;
    if (!m) return;
    panel.appendChild(el("h2", "Network analytics"));
    panel.appendChild(el("p", m.counts.outlets + " outlets, " + m.counts.topics + " topics, " +
      m.counts.edges + " links; density " + m.counts.density.toFixed(3) + "."));
    panel.appendChild(el("h2", "Outlets by weighted degree"));
    var outlets = el("ol");
    m.outlets.forEach(function (o) {
      outlets.appendChild(el("li", o.name + " — " + o.weighted_degree + " (betweenness " +
        o.betweenness.toFixed(3) + ", community " + (o.community || "none") + ")"));
    });
    panel.appendChild(outlets);
    panel.appendChild(el("h2", "Topics in the same headline"));
    var pairs = el("ol");
    m.cooccurrence.forEach(function (pair) {
      pairs.appendChild(el("li", topicLabel.get(pair.topics[0]) + " + " + topicLabel.get(pair.topics[1]) +
        " — " + pair.entries));
    });
    panel.appendChild(pairs);
    panel.appendChild(el("h2", "Communities"));
    panel.appendChild(el("p", m.about.communities, "hint"));
    var communities = el("ol");
    m.communities.forEach(function (c) {
      var topics = c.topics.map(function (t) { return topicLabel.get(t); }).join(", ") || "no topic";
      communities.appendChild(el("li", topics + ": " + c.outlets.join(", ")));
    });
    panel.appendChild(communities);
  }

  showState();
  applyFilters();
  drawLegend();
  drawAnalytics();
})();

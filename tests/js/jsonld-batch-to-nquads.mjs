// Expands many JSON-LD documents with jsonld.js in one process (starting node once
// per document would take minutes for a site). Reads a JSON array from stdin, each
// item {"name", "file"} (a JSON-LD file; a relative "@context" is loaded from its
// own folder) or {"name", "document", "base"} (a JSON-LD object, e.g. an HTML
// page's embedded block); prints a JSON object: name → N-Quads, or
// {"error": message}. Any context outside a local file is refused, so the test
// proves the documents need no network.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";
import jsonld from "jsonld";

const documentLoader = async (url) => {
  if (!url.startsWith("file://")) {
    throw new Error(`refusing to load a remote document: ${url}`);
  }
  const document = JSON.parse(await readFile(fileURLToPath(url), "utf8"));
  return { contextUrl: null, documentUrl: url, document };
};

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const items = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const out = {};
for (const item of items) {
  try {
    let input = item.document;
    let base = item.base;
    if (item.file) {
      const file = path.resolve(item.file);
      base = pathToFileURL(file).href;
      input = JSON.parse(await readFile(file, "utf8"));
    }
    out[item.name] = await jsonld.toRDF(input, {
      base,
      documentLoader,
      format: "application/n-quads",
      safe: true,
    });
  } catch (error) {
    out[item.name] = { error: String(error && error.message ? error.message : error) };
  }
}
process.stdout.write(JSON.stringify(out));

// Reads a JSON-LD file and prints its graph as canonical-ish N-Quads with jsonld.js.
// A relative "@context" is loaded from the file's own folder; any other URL is
// refused, so the test proves the dump needs no network.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";
import jsonld from "jsonld";

const file = path.resolve(process.argv[2]);
const base = pathToFileURL(file).href;

const documentLoader = async (url) => {
  if (!url.startsWith("file://")) {
    throw new Error(`refusing to load a remote document: ${url}`);
  }
  const document = JSON.parse(await readFile(fileURLToPath(url), "utf8"));
  return { contextUrl: null, documentUrl: url, document };
};

const input = JSON.parse(await readFile(file, "utf8"));
const nquads = await jsonld.toRDF(input, { base, documentLoader, format: "application/n-quads" });
process.stdout.write(nquads);

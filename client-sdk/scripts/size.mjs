// Prints the size of the browser file (twinspace.js: the SDK with socket.io-client
// inside, minified), freshly built from the sources, raw and gzipped at level 9.
//   npm run size

import { gzipSync } from "node:zlib";

import { buildBrowserFile } from "./build.mjs";

const bytes = await buildBrowserFile();
const gzipped = gzipSync(bytes, { level: 9 }).byteLength;
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`twinspace.js: ${bytes.byteLength} bytes (${kib(bytes.byteLength)}), gzipped ${gzipped} bytes (${kib(gzipped)})`);

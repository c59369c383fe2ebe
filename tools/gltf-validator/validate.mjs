// Validate one .glb/.gltf with the Khronos glTF validator; print its JSON report on stdout.
// Usage: node validate.mjs FILE
import { readFile } from "node:fs/promises";
import validator from "gltf-validator";

const path = process.argv[2];
if (!path) {
  console.error("usage: node validate.mjs FILE.glb");
  process.exit(2);
}
const data = new Uint8Array(await readFile(path));
const report = await validator.validateBytes(data, {
  uri: path,
  maxIssues: 0,
  externalResourceFunction: () => Promise.reject(new Error("external resources are not allowed")),
});
process.stdout.write(JSON.stringify(report));

// run.mjs runs ONNX models in onnxruntime (Node) for causeway's interop tests.
//
//   node run.mjs IN.json OUT.json
//
// IN.json is one job {model, inputs: {name: {dims, data}}} or an array of
// them; OUT.json gets, for each job, {outputs: {name: {dims, data}}} (an
// array for an array). Data are float32 values in row-major order. Sessions
// are cached per model path.
import { readFileSync, writeFileSync } from 'node:fs';
import ort from 'onnxruntime-node';

const [inPath, outPath] = process.argv.slice(2);
if (!inPath || !outPath) {
  console.error('usage: node run.mjs IN.json OUT.json');
  process.exit(2);
}

const request = JSON.parse(readFileSync(inPath, 'utf8'));
const jobs = Array.isArray(request) ? request : [request];
const sessions = new Map();
const results = [];
for (const job of jobs) {
  let session = sessions.get(job.model);
  if (!session) {
    session = await ort.InferenceSession.create(job.model, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
    sessions.set(job.model, session);
  }
  const feeds = {};
  for (const [name, t] of Object.entries(job.inputs)) {
    feeds[name] = new ort.Tensor('float32', Float32Array.from(t.data), t.dims);
  }
  const out = await session.run(feeds);
  const outputs = {};
  for (const [name, t] of Object.entries(out)) {
    outputs[name] = { dims: Array.from(t.dims), data: Array.from(t.data) };
  }
  results.push({ outputs });
}
writeFileSync(outPath, JSON.stringify(Array.isArray(request) ? results : results[0]));

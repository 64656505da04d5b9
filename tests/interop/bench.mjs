// bench.mjs times onnxruntime (Node) on causeway models for bench/onnxrt,
// which compares them with the pure-Go executor, interleaving the two.
//
//   node bench.mjs JOBS.json
//
// JOBS.json is an array of jobs {label, model, inputs: {name: {dims,
// data}}, warmup, threads}. bench.mjs creates a session per (model,
// threads) (graphOptimizationLevel 'all', `threads` intra-op threads,
// default 1), runs every job's warm-up calls and prints "ready". Then each
// line "INDEX REPS" on standard input runs job INDEX REPS times and prints
// a JSON array of the wall time of every session.run call in milliseconds.
// End of input ends the process.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import ort from 'onnxruntime-node';

const [jobsPath] = process.argv.slice(2);
if (!jobsPath) {
  console.error('usage: node bench.mjs JOBS.json');
  process.exit(2);
}

const jobs = JSON.parse(readFileSync(jobsPath, 'utf8'));
const sessions = new Map();
const prepared = [];
for (const job of jobs) {
  const threads = job.threads || 1;
  const key = `${job.model}#${threads}`;
  let session = sessions.get(key);
  if (!session) {
    session = await ort.InferenceSession.create(job.model, {
      graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1,
    });
    sessions.set(key, session);
  }
  const feeds = {};
  for (const [name, t] of Object.entries(job.inputs)) {
    feeds[name] = new ort.Tensor('float32', Float32Array.from(t.data), t.dims);
  }
  for (let i = 0; i < (job.warmup || 0); i++) await session.run(feeds);
  prepared.push({ session, feeds });
}
console.log('ready');

for await (const line of createInterface({ input: process.stdin })) {
  const [index, reps] = line.trim().split(/\s+/).map(Number);
  const { session, feeds } = prepared[index];
  const ms = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  console.log(JSON.stringify(ms));
}

// serve.mjs is a minimal Node.js HTTP server that runs a causeway .onnx
// file with onnxruntime-node, for bench/serve's comparison with
// `causeway serve`.
//
//   node serve.mjs MODEL.onnx [THREADS]
//
// It listens on 127.0.0.1 on a free port and prints "listening PORT" when
// ready. POST /predict takes causeway's /predict JSON (base_samples,
// int_samples, intervened_node (an index) or int_mask, target_row?,
// variables?, threshold?) and answers the same JSON as causeway serve:
// {model, variables, delta, adjacency (probabilities, zero diagonal),
// threshold, edges (most probable first)}. Bad requests get 400
// {"error": "..."}. THREADS sets onnxruntime's intra-op threads (default:
// onnxruntime's own, one per physical core). session.run executes on the
// event loop, so requests run one at a time, each with THREADS threads.
import http from 'node:http';
import { basename } from 'node:path';
import ort from 'onnxruntime-node';

const [modelPath, threadsArg] = process.argv.slice(2);
if (!modelPath) {
  console.error('usage: node serve.mjs MODEL.onnx [THREADS]');
  process.exit(2);
}
const options = { graphOptimizationLevel: 'all' };
if (Number(threadsArg) > 0) options.intraOpNumThreads = Number(threadsArg);
const session = await ort.InferenceSession.create(modelPath, options);
const modelName = basename(modelPath, '.onnx');

function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

// matrix copies an S×N array of arrays of finite numbers into out.
function matrix(field, rows, s, n, out) {
  if (!Array.isArray(rows) || rows.length !== s) throw new Error(`${field}: want ${s} rows`);
  for (let i = 0; i < s; i++) {
    const row = rows[i];
    if (!Array.isArray(row) || row.length !== n) throw new Error(`${field}[${i}]: want ${n} values`);
    for (let j = 0; j < n; j++) {
      const v = row[j];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${field}[${i}][${j}]: not a finite number`);
      out[i * n + j] = v;
    }
  }
}

async function predict(r) {
  const base = r.base_samples;
  if (!Array.isArray(base) || base.length < 2 || !Array.isArray(base[0]) || base[0].length < 2) {
    throw new Error('base_samples: want S ≥ 2 rows of N ≥ 2 values');
  }
  const s = base.length;
  const n = base[0].length;
  const b = new Float32Array(s * n);
  const it = new Float32Array(s * n);
  const target = new Float32Array(n);
  const mask = new Float32Array(n);
  matrix('base_samples', base, s, n, b);
  matrix('int_samples', r.int_samples, s, n, it);
  if (r.target_row !== undefined) {
    if (!Array.isArray(r.target_row) || r.target_row.length !== n) throw new Error(`target_row: want ${n} values`);
    target.set(r.target_row);
  } else {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let i = 0; i < s; i++) sum += base[i][j];
      target[j] = sum / s;
    }
  }
  if (r.int_mask !== undefined) {
    if (!Array.isArray(r.int_mask) || r.int_mask.length !== n) throw new Error(`int_mask: want ${n} values`);
    mask.set(r.int_mask);
  } else {
    const k = r.intervened_node;
    if (!Number.isInteger(k) || k < 0 || k >= n) throw new Error(`intervened_node: want an index in [0, ${n})`);
    mask[k] = 1;
  }
  const out = await session.run({
    base_samples: new ort.Tensor('float32', b, [1, s, n]),
    int_samples: new ort.Tensor('float32', it, [1, s, n]),
    target_row: new ort.Tensor('float32', target, [1, n]),
    int_mask: new ort.Tensor('float32', mask, [1, n]),
  });
  const logits = out.adj_logits.data;
  const labels = Array.isArray(r.variables) ? r.variables : Array.from({ length: n }, (_, i) => `x${i}`);
  const threshold = typeof r.threshold === 'number' ? r.threshold : 0.5;
  const adjacency = [];
  const edges = [];
  for (let i = 0; i < n; i++) {
    const row = new Array(n);
    for (let j = 0; j < n; j++) {
      row[j] = i === j ? 0 : Math.fround(1 / (1 + Math.exp(-logits[i * n + j])));
      if (i !== j && row[j] > threshold) edges.push({ from: labels[i], to: labels[j], probability: row[j] });
    }
    adjacency.push(row);
  }
  edges.sort((x, y) => y.probability - x.probability);
  return { model: modelName, variables: labels, delta: Array.from(out.delta.data), adjacency, threshold, edges };
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/ready') {
    res.writeHead(200);
    res.end();
    return;
  }
  if (req.method !== 'POST' || req.url !== '/predict') {
    reply(res, 404, { error: `no endpoint ${req.method} ${req.url}` });
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    let r;
    try {
      r = JSON.parse(Buffer.concat(chunks));
    } catch (e) {
      reply(res, 400, { error: `malformed JSON: ${e.message}` });
      return;
    }
    try {
      reply(res, 200, await predict(r));
    } catch (e) {
      reply(res, 400, { error: e.message });
    }
  });
});
server.keepAliveTimeout = 120000;
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));

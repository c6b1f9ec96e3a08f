// Uploads files to Relais with tus-js-client under Node (a client Relais did not write),
// all in parallel. Usage: node tusjs_upload.mjs ENDPOINT TOKEN FILE...
// Prints one JSON line per finished file; exits non-zero on the first error.
import fs from 'node:fs';
import path from 'node:path';
import * as tus from 'tus-js-client';

const [endpoint, token, ...files] = process.argv.slice(2);

function send(file) {
  return new Promise((resolve, reject) => {
    const size = fs.statSync(file).size;
    const upload = new tus.Upload(fs.createReadStream(file), {
      endpoint,
      headers: { Authorization: `Bearer ${token}` },
      metadata: { filename: path.basename(file), filetype: 'application/octet-stream' },
      uploadSize: size,
      // A Node stream cannot be re-read: tus-js-client needs a chunk size to buffer.
      chunkSize: 5 * 1024 * 1024,
      retryDelays: [0, 500, 1000],
      onError: reject,
      onSuccess: () => resolve({ file: path.basename(file), url: upload.url, size }),
    });
    upload.start();
  });
}

try {
  for (const result of await Promise.all(files.map(send))) {
    console.log(JSON.stringify(result));
  }
} catch (error) {
  console.error(`upload failed: ${error}`);
  process.exit(1);
}

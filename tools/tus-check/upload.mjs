// Uploads one file to a Nimbus server with tus-js-client (5 MiB chunks), storing the
// upload URL in a file so that a later process resumes it. Prints one JSON line.
//
//   node upload.mjs ENDPOINT TOKEN FILE STORE NAME [stop-after-chunks N | terminate-after-chunks N | bad-checksum 0]
//
// bad-checksum sends every chunk with an Upload-Checksum that cannot match, and prints
// the status the server refused it with.
import fs from 'node:fs';
import { Upload, FileUrlStorage } from 'tus-js-client';

const [endpoint, token, file, store, name, mode, count] = process.argv.slice(2);
const limit = mode && mode !== 'bad-checksum' ? Number(count) : 0;
const say = (o) => { process.stdout.write(JSON.stringify(o) + '\n'); };

const upload = new Upload(fs.createReadStream(file), {
  endpoint,
  chunkSize: 5 * 1024 * 1024,
  headers: {
    Authorization: `Bearer ${token}`,
    ...(mode === 'bad-checksum' ? { 'Upload-Checksum': 'sha1 AAAAAAAAAAAAAAAAAAAAAAAAAAA=' } : {}),
  },
  metadata: { filename: name, filetype: 'application/octet-stream' },
  urlStorage: new FileUrlStorage(store),
  storeFingerprintForResuming: true,
  removeFingerprintOnSuccess: false,
  retryDelays: null,
  onChunkComplete(_chunk, sent, total) {
    chunks += 1;
    if (limit && chunks >= limit) {
      const terminate = mode === 'terminate-after-chunks';
      upload.abort(terminate).then(() => {
        say({ stopped: true, terminated: terminate, url: upload.url, sent, total });
        process.exit(0);
      });
    }
  },
  onSuccess() {
    say({ done: true, url: upload.url, resumed_from: resumedFrom });
  },
  onError(err) {
    if (mode === 'bad-checksum') {
      say({ refused: err.originalResponse ? err.originalResponse.getStatus() : null, url: upload.url });
      process.exit(0);
    }
    say({ error: String(err) });
    process.exit(1);
  },
});
let chunks = 0;
let resumedFrom = null;
const previous = await upload.findPreviousUploads();
if (previous.length > 0) {
  resumedFrom = previous[0].uploadUrl;
  upload.resumeFromPreviousUpload(previous[0]);
}
upload.start();

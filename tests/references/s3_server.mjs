// A real S3 server for the tests: s3rver 3.7.1 on 127.0.0.1, on a port the OS picks.
//
//   node --openssl-legacy-provider s3_server.mjs --directory DIR [--bucket NAME]...
//
// Prints "listening <port>" once it accepts connections, then serves until SIGTERM or SIGINT.
// --openssl-legacy-provider is needed because s3rver makes ListObjectsV2 continuation tokens with
// DES, which OpenSSL 3 only has in its legacy provider (without it a truncated listing answers
// 500 InternalError); the script refuses to start without it.
//
// What s3rver 3.7.1 checks and supports (each tried against this script, not only read in its
// source; path-style URLs with Host 127.0.0.1:PORT):
// - SigV4 Authorization header: only the access key id is looked up (the one account is S3RVER,
//   secret S3RVER). The signature is NOT verified: a wrong secret, signature or region is
//   accepted. An unknown access key gets 403 InvalidAccessKeyId. With an Authorization header,
//   x-amz-content-sha256 is required (else 400 InvalidRequest) and must be UNSIGNED-PAYLOAD,
//   STREAMING-AWS4-HMAC-SHA256-PAYLOAD or 64 hex digits (else 400 InvalidArgument), but it is not
//   compared with the body. x-amz-date (or Date) must be within 15 minutes (else 403
//   RequestTimeTooSkewed). A request without an Authorization header is served anonymously.
// - Unknown bucket: 404 NoSuchBucket; unknown key: 404 NoSuchKey (HEAD: 404 without a body).
// - ListObjectsV2: list-type=2 with prefix, delimiter (CommonPrefixes), max-keys, start-after,
//   continuation-token / NextContinuationToken, KeyCount. The XML namespace is
//   "http://doc.s3.amazonaws.com/2006-03-01/" (not real S3's); ETags come as &quot;...&quot;.
// - HeadObject; DeleteObject (204, also for a missing key); Range GET "bytes=A-B" and "bytes=A-"
//   (206 + Content-Range, B clamped to the size; a start past the end: 416 InvalidRange). Quirks:
//   "bytes=0-0" returns the whole object (206, bytes 0-(size-1)) and the suffix form "bytes=-N"
//   is read as "bytes=0-N".
// - Multipart: POST ?uploads, PUT ?partNumber=N&uploadId=ID, POST ?uploadId=ID (parts joined in
//   PartNumber order; the ETag is the MD5 of the whole object, not "md5-N"). No minimum part
//   size; part ETags in the completion XML are not checked; UploadPart with an unknown uploadId
//   is accepted; CompleteMultipartUpload with an unknown one gives 500 InternalError. No
//   AbortMultipartUpload (DELETE ?uploadId= answers 405 MethodNotAllowed) and no
//   ListMultipartUploads (501 NotImplemented).
// - x-amz-server-side-encryption (AES256, aws:kms) on PUT is accepted and ignored (not echoed).
// - On disk: key "a/b/c.bin" of BUCKET is DIR/BUCKET/a/b/c.bin._S3rver_object (the raw bytes;
//   keys as decoded from the URL), beside c.bin._S3rver_object.md5 and c.bin._S3rver_metadata.json.
//   Open multipart uploads are DIR/BUCKET/._S3rver_uploads/ID/{key,metadata,1,1.md5,...}.
import { createCipheriv } from 'node:crypto';

import S3rver from 's3rver';

function parseArguments(argv) {
  const options = { directory: undefined, buckets: [] };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--directory') options.directory = value;
    else if (flag === '--bucket') options.buckets.push(value);
    else throw new Error(`unknown argument ${flag}`);
  }
  if (!options.directory) throw new Error('--directory DIR is required');
  return options;
}

try {
  createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
} catch {
  console.error('s3_server.mjs: DES is unavailable; run node with --openssl-legacy-provider');
  process.exit(2);
}

const options = parseArguments(process.argv.slice(2));
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: options.directory,
  configureBuckets: options.buckets.map((name) => ({ name })),
});
const { port } = await server.run();
process.stdout.write(`listening ${port}\n`);

let closing = false;
async function shutDown() {
  if (closing) return;
  closing = true;
  // A connection still busy (say, a stalled upload) must not keep us alive.
  setTimeout(() => server.httpServer.closeAllConnections(), 1000).unref();
  await server.close();
  process.exit(0);
}
process.on('SIGTERM', shutDown);
process.on('SIGINT', shutDown);

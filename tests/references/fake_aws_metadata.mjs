// A fake of the two AWS metadata services credentials come from, for the credential chain tests:
// EC2 instance metadata (IMDSv2 only) and the ECS / EKS Pod Identity container endpoint.
//
//   node fake_aws_metadata.mjs [--lifetime S] [--role NAME] [--auth-token TOKEN]
//
// Listens on 127.0.0.1, on a port the OS picks, and prints exactly one line "listening <port>"
// to stdout once it accepts connections; serves until SIGTERM or SIGINT.
//
// IMDSv2, as the real service behaves:
//   PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds: 1..21600 -> a token (400
//     without a valid TTL), echoed TTL header; the token is valid for that many seconds.
//   GET /latest/meta-data/iam/security-credentials/       -> the role name (--role, default
//     "fruits-test-role"; with --role "" a 404, an instance without a role)
//   GET /latest/meta-data/iam/security-credentials/ROLE   -> {Code, LastUpdated, Type,
//     AccessKeyId, SecretAccessKey, Token, Expiration}; 404 for another role.
//   Both GETs answer 401 without a valid X-aws-ec2-metadata-token header.
// Container endpoint: GET /v2/credentials/<anything> -> {AccessKeyId, SecretAccessKey, Token,
//   Expiration, RoleArn}; with --auth-token, 401 unless the Authorization header is that token.
//
// Each credential set issued is new: AccessKeyId ASIAFAKE + a counter (ASIAFAKE00000001, ...),
// SecretAccessKey "fakeSECRET/<counter>/..." and Token "fakeSESSIONTOKEN<counter>..." (so tests
// can check messages never hold them), Expiration now + --lifetime seconds (default 3600),
// rounded up to a whole second and written as AWS does ("2026-11-25T12:34:56Z").
//
// Test controls:
//   GET  /__stats   -> {"token_requests", "role_requests", "credential_requests",
//                       "container_requests", "rejected_requests", "log": ["PUT token ttl=21600",
//                       "GET role 200", "GET credentials 200", "GET container 200", ...]}
//                       (token requests, role-name GETs, IMDS credential GETs, container GETs,
//                       answers 401/400; the log in arrival order)
//   POST /__revoke_tokens -> every IMDS token issued so far becomes invalid (the next use: 401)
//   POST /__outage        -> every metadata request answers 500 until POST /__recover
import http from 'node:http';

function parseArguments(argv) {
  const options = { lifetime: 3600, role: 'fruits-test-role', authToken: undefined };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--lifetime') options.lifetime = Number(value);
    else if (flag === '--role') options.role = value;
    else if (flag === '--auth-token') options.authToken = value;
    else throw new Error(`unknown argument ${flag}`);
  }
  if (!(options.lifetime > 0)) throw new Error('--lifetime needs a positive number of seconds');
  return options;
}

const options = parseArguments(process.argv.slice(2));
const stats = {
  token_requests: 0,
  role_requests: 0,
  credential_requests: 0,
  container_requests: 0,
  rejected_requests: 0,
  log: [],
};
const tokens = new Map(); // token -> expiry (ms since the epoch)
let tokenCounter = 0;
let credentialCounter = 0;
let outage = false;

function awsTime(ms) {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function newCredentials() {
  credentialCounter += 1;
  const n = String(credentialCounter).padStart(8, '0');
  return {
    AccessKeyId: `ASIAFAKE${n}`,
    SecretAccessKey: `fakeSECRET/${n}/wJalrXUtnFEMIK7MDENGbPxRfiCY`,
    Token: `fakeSESSIONTOKEN${n}IQoJb3JpZ2luX2VjEMb`,
    Expiration: awsTime(Date.now() + options.lifetime * 1000),
  };
}

function send(response, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, { 'Content-Length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

function validToken(request) {
  const token = request.headers['x-aws-ec2-metadata-token'];
  const expiry = token === undefined ? undefined : tokens.get(token);
  return expiry !== undefined && expiry > Date.now();
}

function handle(request, response) {
  const path = new URL(request.url, 'http://localhost').pathname;
  const route = `${request.method} ${path}`;
  if (route === 'GET /__stats') return send(response, 200, stats);
  if (route === 'POST /__revoke_tokens') {
    tokens.clear();
    return send(response, 200, 'revoked');
  }
  if (route === 'POST /__outage' || route === 'POST /__recover') {
    outage = route === 'POST /__outage';
    return send(response, 200, outage ? 'outage' : 'recovered');
  }

  // What the request is, for the log and the counts.
  let kind;
  if (route === 'PUT /latest/api/token') kind = 'token';
  else if (route === 'GET /latest/meta-data/iam/security-credentials/') kind = 'role';
  else if (request.method === 'GET' && path.startsWith('/latest/meta-data/iam/security-credentials/'))
    kind = 'credentials';
  else if (request.method === 'GET' && path.startsWith('/v2/credentials/')) kind = 'container';
  else return send(response, 404, 'not found');
  stats[kind === 'credentials' ? 'credential_requests' : `${kind}_requests`] += 1;
  const answer = (status, body, headers) => {
    if (status === 400 || status === 401) stats.rejected_requests += 1;
    const ttl = kind === 'token' ? ` ttl=${request.headers['x-aws-ec2-metadata-token-ttl-seconds']}` : '';
    stats.log.push(`${request.method} ${kind}${ttl} ${status}`);
    send(response, status, body, headers);
  };
  if (outage) return answer(500, 'outage');

  if (kind === 'token') {
    const header = request.headers['x-aws-ec2-metadata-token-ttl-seconds'];
    const ttl = Number(header);
    if (header === undefined || !Number.isInteger(ttl) || ttl < 1 || ttl > 21600) {
      return answer(400, 'missing or invalid X-aws-ec2-metadata-token-ttl-seconds');
    }
    tokenCounter += 1;
    const token = `imds-token-${tokenCounter}-${Math.random().toString(36).slice(2)}`;
    tokens.set(token, Date.now() + ttl * 1000);
    return answer(200, token, { 'X-aws-ec2-metadata-token-ttl-seconds': String(ttl) });
  }
  if (kind === 'role' || kind === 'credentials') {
    if (!validToken(request)) return answer(401, 'Unauthorized');
    if (kind === 'role') return options.role ? answer(200, options.role) : answer(404, 'Not Found');
    const role = path.slice('/latest/meta-data/iam/security-credentials/'.length);
    if (!options.role || role !== options.role) return answer(404, 'Not Found');
    return answer(200, {
      Code: 'Success',
      LastUpdated: awsTime(Date.now()),
      Type: 'AWS-HMAC',
      ...newCredentials(),
    });
  }
  // The container endpoint.
  if (options.authToken !== undefined && request.headers.authorization !== options.authToken) {
    return answer(401, { code: 'AccessDenied', message: 'wrong or missing authorization token' });
  }
  return answer(200, { ...newCredentials(), RoleArn: 'arn:aws:iam::123456789012:role/fruits-task' });
}

const server = http.createServer((request, response) => {
  request.resume();
  request.on('end', () => handle(request, response));
});
server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});

function shutDown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on('SIGTERM', shutDown);
process.on('SIGINT', shutDown);

// A loopback proxy in front of a tee-rex server that flips one byte of every attestation
// document it forwards, and counts the proving requests that reach it.

import http from "node:http";

/**
 * Starts the proxy on 127.0.0.1:`port`, forwarding to `upstream` (http://127.0.0.1:N).
 * Resolves to `{ stats, close }`; `stats` counts `attestations` tampered and `proves` forwarded;
 * `close` drops every open connection too, so the port refuses connections once it resolves.
 */
export function startTamperProxy(port, upstream) {
  const stats = { attestations: 0, proves: 0 };
  const target = new URL(upstream);
  const server = http.createServer((req, res) => {
    if (req.method === "POST" && req.url.startsWith("/prove")) stats.proves += 1;
    const upstreamReq = http.request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (upstreamRes) => {
        if (!(req.method === "GET" && req.url.startsWith("/attestation") && upstreamRes.statusCode === 200)) {
          res.writeHead(upstreamRes.statusCode, upstreamRes.headers);
          upstreamRes.pipe(res);
          return;
        }
        const chunks = [];
        upstreamRes.on("data", (c) => chunks.push(c));
        upstreamRes.on("end", () => {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          const document = Buffer.from(body.attestationDocument, "base64");
          // The last byte belongs to the COSE signature: the document still parses, the
          // signature no longer matches it.
          document[document.length - 1] ^= 0x01;
          body.attestationDocument = document.toString("base64");
          stats.attestations += 1;
          const out = Buffer.from(JSON.stringify(body));
          const headers = { ...upstreamRes.headers, "content-length": String(out.length) };
          res.writeHead(200, headers);
          res.end(out);
        });
      },
    );
    upstreamReq.on("error", () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstreamReq);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () =>
      resolve({ stats, close: () => new Promise((done) => {
        // Kept-alive browser connections would otherwise keep the port answering.
        server.close(done);
        server.closeAllConnections();
      }) }));
  });
}

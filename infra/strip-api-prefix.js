// CloudFront Function (viewer request): /tee/attestation -> /attestation, /prover/prove -> /prove.
function handler(event) {
  var request = event.request;
  var match = request.uri.match(/^\/(tee|prover)(\/.*)?$/);
  if (match) {
    request.uri = match[2] || "/";
  }
  return request;
}

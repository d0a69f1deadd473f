// Package server is registryd's HTTP surface: the Connect RegistryService
// (Connect, gRPC and gRPC-Web on one port), gRPC health and reflection, and
// plain endpoints — /healthz, /metrics and image downloads.
//
// A request flows through four stages:
//
//  1. transport: net/http serves HTTP/1.1 and unencrypted HTTP/2 (h2c) on
//     one listener (Serve); connect-go decodes the request, refusing
//     bodies larger than Config.MaxRequestBytes;
//  2. interceptors: auth.Interceptor attaches the caller's Principal, and
//     the observer counts and times the call (Prometheus metrics, slog);
//  3. handler: Handler authorizes the call against the principal's scopes
//     (read, push:<module glob>, admin), refuses writes when read-only,
//     converts the request to the registry's types and calls
//     *registry.Service (Push, CheckPush, Diff) or the registry.Store;
//  4. errors: registry errors become Connect codes (connectError): a
//     *registry.RejectedError is FailedPrecondition with a PushRejection
//     detail holding every finding, invalid requests InvalidArgument,
//     missing things NotFound, writes to a read-only registryd
//     FailedPrecondition naming the primary.
package server

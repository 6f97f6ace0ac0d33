// The client for Node: native gRPC over HTTP/2 by default, or grpc-web over HTTP/1.1.
import type { Transport } from "@connectrpc/connect";
import { createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { createTimelyClientWith, transportOptions, type TimelyClient, type TimelyClientOptions } from "./core.js";

export * from "./exports.js";

export interface NodeClientOptions extends TimelyClientOptions {
  /** "grpc" (HTTP/2, the service's gRPC port; the default), "grpc-web" (HTTP/1.1, its web port), or a transport of your own. */
  transport?: "grpc" | "grpc-web" | Transport;
}

export function createTimelyClient(options: NodeClientOptions): TimelyClient {
  const transport =
    typeof options.transport === "object"
      ? options.transport
      : options.transport === "grpc-web"
        ? createGrpcWebTransport({ ...transportOptions(options), httpVersion: "1.1" })
        : createGrpcTransport(transportOptions(options));
  return createTimelyClientWith(transport, options);
}

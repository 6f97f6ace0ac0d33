// The client for browsers: grpc-web (fetch) to the service's web port.
import type { Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { createTimelyClientWith, transportOptions, type TimelyClient, type TimelyClientOptions } from "./core.js";

export * from "./exports.js";

export interface WebClientOptions extends TimelyClientOptions {
  /** "grpc-web" (the default) or a transport of your own. */
  transport?: "grpc-web" | Transport;
}

export function createTimelyClient(options: WebClientOptions): TimelyClient {
  const transport =
    typeof options.transport === "object"
      ? options.transport
      : createGrpcWebTransport(transportOptions(options));
  return createTimelyClientWith(transport, options);
}

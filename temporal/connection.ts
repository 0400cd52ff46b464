import { readFileSync } from 'node:fs';
import {
  Client,
  Connection,
  type ConnectionOptions,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
} from '@temporalio/client';
import type { Config } from '../config/config';
import { createDataConverter } from './data-converter';

export interface TemporalClientOptions {
  /** Decode-only keys kept after a rotation (default: TEMPORAL_PAYLOAD_PREVIOUS_KEYS from the config). */
  previousPayloadKeys?: string[];
  /**
   * Connect on first use instead of now: the API starts (and reports not-ready) while Temporal is down,
   * and requests made meanwhile fail fast with 503 instead of the process crashing.
   */
  lazy?: boolean;
  /** gRPC attempts for retryable errors (SDK default 10, about 15 s of backoff when the server is down). */
  rpcAttempts?: number;
  connectTimeoutMs?: number;
}

/** A TLS cert/key may be given as PEM text or as a path to a PEM file. */
function pem(value: string): Buffer {
  return value.includes('-----BEGIN') ? Buffer.from(value.replace(/\\n/g, '\n')) : readFileSync(value);
}

export function connectionOptionsFor(
  config: Pick<Config, 'temporal'>,
  opts: TemporalClientOptions = {},
): ConnectionOptions {
  const t = config.temporal;
  const mtls = t.tlsCert !== undefined && t.tlsKey !== undefined;
  return {
    address: t.address,
    // Temporal Cloud API keys need TLS; mTLS clusters need the client pair.
    ...(mtls ? { tls: { clientCertPair: { crt: pem(t.tlsCert!), key: pem(t.tlsKey!) } } } : {}),
    ...(t.apiKey !== undefined ? { apiKey: t.apiKey, ...(mtls ? {} : { tls: true }) } : {}),
    ...(opts.connectTimeoutMs !== undefined ? { connectTimeout: opts.connectTimeoutMs } : {}),
    ...(opts.rpcAttempts !== undefined
      ? { interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: opts.rpcAttempts }))] }
      : {}),
  };
}

/** Builds the Temporal client of a process; close it with `client.connection.close()`. */
export async function createTemporalClient(config: Config, opts: TemporalClientOptions = {}): Promise<Client> {
  const options = connectionOptionsFor(config, opts);
  const connection = opts.lazy ? Connection.lazy(options) : await Connection.connect(options);
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: createDataConverter({
      current: config.temporal.payloadKey,
      previous: opts.previousPayloadKeys ?? config.temporal.previousPayloadKeys,
    }),
  });
}

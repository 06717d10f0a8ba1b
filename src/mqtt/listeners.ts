import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { ConfigError } from '../config/load.js';

export type ConnectionHandler = (stream: Duplex, req?: IncomingMessage) => unknown;

/** One open listener: where it is and how to stop it. */
export interface Listener {
  name: 'tcp' | 'websocket' | 'tls';
  port: number;
  close(): Promise<void>;
}

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/** Reads the broker's certificate and key, naming the config key of a missing file. */
export function readTlsFiles(cert: string | null | undefined,
  key: string | null | undefined): TlsFiles | null {
  if (!cert && !key) return null;
  if (!cert) throw new ConfigError('mqtt.tls.cert', 'missing: TLS needs both cert and key');
  if (!key) throw new ConfigError('mqtt.tls.key', 'missing: TLS needs both cert and key');
  return { cert: readPem('mqtt.tls.cert', cert), key: readPem('mqtt.tls.key', key) };
}

export function readPem(field: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(field, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code
      ?? (err as Error).message}`);
  }
}

function listen(server: Server | HttpServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server | HttpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Stops accepting, then ends the sockets still open: a connection that never sent CONNECT
 * is not the broker's client yet, so closing the broker alone would leave it until timeout.
 */
function trackSockets(server: Server): () => Promise<void> {
  const sockets = new Set<Duplex>();
  server.on('connection', (socket: Duplex) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return () => {
    const closed = closeServer(server);
    for (const socket of sockets) socket.destroy();
    return closed;
  };
}

export async function listenTcp(handle: ConnectionHandler, host: string,
  port: number): Promise<Listener> {
  const server = createTcpServer((socket) => handle(socket));
  const close = trackSockets(server);
  const bound = await listen(server, port, host);
  return { name: 'tcp', port: bound, close };
}

export async function listenTls(handle: ConnectionHandler, host: string, port: number,
  files: TlsFiles): Promise<Listener> {
  const server = createTlsServer({ cert: files.cert, key: files.key }, (socket) => handle(socket));
  // A failed handshake is the client's problem; it must not reach the process.
  server.on('tlsClientError', () => undefined);
  const close = trackSockets(server);
  const bound = await listen(server, port, host);
  return { name: 'tls', port: bound, close };
}

/** MQTT over WebSocket: ws://host:port<path>, subprotocol "mqtt" (MQTT 3.1.1 section 6). */
export async function listenWebSocket(handle: ConnectionHandler, host: string, port: number,
  path: string): Promise<Listener> {
  const http = createHttpServer((_req, res) => {
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ server: http, path });
  wss.on('connection', (socket, req) => {
    const stream = createWebSocketStream(socket);
    stream.on('error', () => socket.terminate());
    handle(stream, req);
  });
  const bound = await listen(http, port, host);
  return {
    name: 'websocket',
    port: bound,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      http.closeAllConnections();
      await closeServer(http);
    },
  };
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  userAgent: string | undefined;
  /** the JSON body, parsed; undefined when there was none */
  body: unknown;
}

/**
 * An in-process HTTP server standing in for the schema registry's REST API (an external
 * service), answering with `handle` and recording what it was asked, for tests of the HTTP
 * client's transport: headers, status handling, body limits.
 */
export class FakeRegistryServer {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly requests: SeenRequest[],
  ) {}

  static async start(
    handle: (request: IncomingMessage, response: ServerResponse) => unknown,
  ): Promise<FakeRegistryServer> {
    const requests: SeenRequest[] = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        requests.push({
          method: request.method ?? '',
          url: request.url ?? '',
          authorization: request.headers.authorization,
          contentType: request.headers['content-type'],
          userAgent: request.headers['user-agent'],
          body: text === '' ? undefined : (JSON.parse(text) as unknown),
        });
        handle(request, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new FakeRegistryServer(server, `http://127.0.0.1:${port}`, requests);
  }

  /** Requests for one path, e.g. "/schemas/ids/7". */
  count(path: string): number {
    return this.requests.filter((r) => r.url === path).length;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }
}

export function answerJson(response: ServerResponse, status: number, body: unknown): ServerResponse {
  return response
    .writeHead(status, { 'Content-Type': 'application/vnd.schemaregistry.v1+json' })
    .end(JSON.stringify(body));
}

/** A loopback URL where nothing listens (a port bound, then released): connections are refused. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return `http://127.0.0.1:${port}`;
}

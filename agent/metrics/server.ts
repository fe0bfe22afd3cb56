/**
 * The metrics endpoint: GET /metrics on its own port (config `metrics.listen`), plain HTTP, or
 * HTTPS when `metrics.tls` names a certificate and key (no client certificates: Prometheus
 * scrapers rarely have them, and the page holds no secret). Nothing else is served. It is a
 * separate socket from the gRPC one so that the mTLS port never speaks to scrapers.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';
import { readPem } from '../../shared/tls';
import type { AgentMetrics } from './registry';

export interface MetricsServerOptions {
  host: string;
  port: number;
  tls: { cert: string; key: string } | null;
}

export class MetricsServer {
  private constructor(
    private readonly server: http.Server,
    readonly address: { host: string; port: number },
  ) {}

  static start(metrics: AgentMetrics, o: MetricsServerOptions): Promise<MetricsServer> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      const url = (req.url ?? '').split('?')[0];
      if (req.method !== 'GET' || url !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('zkmig-agent serves only GET /metrics here\n');
        return;
      }
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(e as Error).message}\n`),
      );
    };
    const server = o.tls ? https.createServer({ cert: readPem(o.tls.cert, 'metrics.tls.cert'), key: readPem(o.tls.key, 'metrics.tls.key'), minVersion: 'TLSv1.2' }, handler) : http.createServer(handler);
    // A scraper that opens connections and sends nothing must not hold them.
    server.requestTimeout = 10000;
    server.headersTimeout = 5000;
    server.maxConnections = 16;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.off('error', reject);
        const a = server.address() as net.AddressInfo;
        resolve(new MetricsServer(server, { host: a.address, port: a.port }));
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

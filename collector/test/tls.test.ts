// The collector serves HTTPS when given a certificate and key.
import t from 'tap';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { createLogger, startCollector } from '../src/collector.js';
import { buildConfig } from '../src/config.js';
import { testCollector } from './helpers.js';

const fixture = (name: string) => new URL(`./fixtures/tls/${name}`, import.meta.url).pathname;

function getHealth(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/healthz`, { ca: readFileSync(fixture('cert.pem')) }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('TLS: https with the configured certificate', async (t) => {
  const { dataDir } = await testCollector(t); // only for its temporary directory
  const config = buildConfig({
    listen: '127.0.0.1:0',
    dataDir: `${dataDir}/tls`,
    tlsCert: fixture('cert.pem'),
    tlsKey: fixture('key.pem'),
    logLevel: 'silent',
    retentionDays: '30',
    bodyLimit: '1mb',
    synchronous: 'normal',
  });
  const collector = await startCollector(config, createLogger('silent'));
  t.teardown(() => collector.close());
  t.match(collector.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const res = await getHealth(collector.url);
  t.equal(res.status, 200);
  t.match(JSON.parse(res.body), { status: 'ok' });
  t.ok(collector.bootstrap, 'first start bootstrapped');
});

t.test('a listen failure closes the database and reports the cause', async (t) => {
  const { dataDir } = await testCollector(t);
  const config = buildConfig({
    listen: '127.0.0.1:0',
    dataDir: `${dataDir}/a`,
    logLevel: 'silent',
    retentionDays: '30',
    bodyLimit: '1mb',
    synchronous: 'full',
  });
  const first = await startCollector(config, pino({ level: 'silent' }));
  t.teardown(() => first.close());
  const port = Number(new URL(first.url).port);
  const clash = { ...config, dataDir: `${dataDir}/b`, listen: { host: '127.0.0.1', port } };
  await t.rejects(startCollector(clash, pino({ level: 'silent' })), { code: 'EADDRINUSE' });
});

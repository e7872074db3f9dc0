import t from 'tap';
import {
  ConfigError,
  buildConfig,
  isLoopback,
  maskDatabaseUrl,
  parseByteSize,
  parseDatabase,
  parseListen,
  parseMetricsAuth,
  parsePerHost,
} from '../src/config.js';
import { describeStartupError } from '../src/startup-errors.js';

const raw = {
  listen: '127.0.0.1:8080',
  dataDir: './data',
  logLevel: 'info',
  retentionDays: '30',
  bodyLimit: '4mb',
  synchronous: 'normal',
};

t.test('parseListen', async (t) => {
  t.same(parseListen('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
  t.same(parseListen('[::1]:9000'), { host: '::1', port: 9000 });
  t.same(parseListen(':0'), { host: '0.0.0.0', port: 0 });
  t.same(parseListen('collector.local:443'), { host: 'collector.local', port: 443 });
  for (const bad of ['8080', 'host:', 'host:70000', '::1:80', 'a b:1']) {
    t.throws(() => parseListen(bad), /is not HOST:PORT/, bad);
  }
});

t.test('parseByteSize', async (t) => {
  t.equal(parseByteSize('x', '4mb'), 4 * 1024 * 1024);
  t.equal(parseByteSize('x', '512KB'), 512 * 1024);
  t.equal(parseByteSize('x', '2048'), 2048);
  t.equal(parseByteSize('x', '1gib'), 1024 ** 3);
  t.throws(() => parseByteSize('x', 'lots'), /not a size/);
  t.throws(() => parseByteSize('x', '10b'), /at least 1kb/);
});

t.test('buildConfig', async (t) => {
  const config = buildConfig(raw);
  t.same(config.listen, { host: '127.0.0.1', port: 8080 });
  t.equal(config.tls, null);
  t.equal(config.retentionDays, 30);
  t.same(buildConfig({ ...raw, tlsCert: 'c.pem', tlsKey: 'k.pem' }).tls, {
    certFile: 'c.pem',
    keyFile: 'k.pem',
  });
  t.throws(() => buildConfig({ ...raw, tlsCert: 'c.pem' }), /both --tls-cert and --tls-key/);
  t.throws(() => buildConfig({ ...raw, logLevel: 'loud' }), /--log-level/);
  t.throws(() => buildConfig({ ...raw, synchronous: 'sometimes' }), /--synchronous/);
  t.throws(() => buildConfig({ ...raw, retentionDays: '0' }), /--retention-days/);
  t.throws(() => buildConfig({ ...raw, retentionDays: '1.5' }), /whole number/);
});

t.test('--database: SQLite by default, a postgres URL selects PostgreSQL', async (t) => {
  t.same(parseDatabase(undefined), { kind: 'sqlite' });
  t.same(parseDatabase('  '), { kind: 'sqlite' }, 'an empty VCIO_DATABASE_URL is unset');
  t.same(buildConfig(raw).database, { kind: 'sqlite' });
  const url = 'postgres://vcio:s3cret@db.example:5432/vcio?sslmode=require';
  t.same(parseDatabase(url), {
    kind: 'postgres',
    url,
    display: 'postgres://vcio:***@db.example:5432/vcio?sslmode=require',
  });
  t.same(buildConfig({ ...raw, database: url }).database?.kind, 'postgres');
  t.equal(parseDatabase('postgresql://vcio@/vcio?host=/run/postgresql').kind, 'postgres');
  t.equal(parseDatabase('POSTGRESQL://u@h/d').kind, 'postgres', 'the scheme in any case');
  for (const bad of [
    'mysql://root:hunter22@db/vcio',
    'host=db user=vcio password=hunter22',
    'sqlite:/var/lib/vcio/vcio.db',
    'postgres://',
  ]) {
    const error = t.throws(
      () => parseDatabase(bad),
      /must be a postgres:\/\/ or postgresql:\/\/ URL/,
    );
    t.ok(error instanceof ConfigError, `${bad.split(':')[0]}: a config error`);
    t.notMatch(String((error as Error).message), /hunter22/, 'never echoes a password');
  }
});

t.test('maskDatabaseUrl: the password never shows', async (t) => {
  t.equal(maskDatabaseUrl('postgres://u:p@h/d'), 'postgres://u:***@h/d');
  t.equal(maskDatabaseUrl('postgres://u:p@ss@h/d'), 'postgres://u:***@h/d', 'an unencoded @');
  t.equal(maskDatabaseUrl('postgres://u:p%40ss@h:5/d'), 'postgres://u:***@h:5/d');
  t.equal(maskDatabaseUrl('postgres://u@h/d'), 'postgres://u@h/d', 'no password: unchanged');
  t.equal(maskDatabaseUrl('postgres://h/d'), 'postgres://h/d');
  t.equal(
    maskDatabaseUrl('postgres://h/d?user=u&password=pw&sslpassword=k'),
    'postgres://h/d?user=u&password=***&sslpassword=***',
  );
});

t.test('isLoopback', async (t) => {
  t.ok(isLoopback('127.0.0.1'));
  t.ok(isLoopback('::1'));
  t.ok(isLoopback('localhost'));
  t.notOk(isLoopback('0.0.0.0'));
  t.notOk(isLoopback('10.1.2.3'));
});

t.test('startup errors read as one line', async (t) => {
  const err = (code: string) => Object.assign(new Error(`boom ${code}`), { code });
  t.match(describeStartupError(new ConfigError('bad flag')), 'bad flag');
  t.match(describeStartupError(err('EADDRINUSE')), /already in use/);
  t.match(describeStartupError(err('EACCES')), /permission denied/);
  t.match(describeStartupError(err('ENOENT')), /file not found/);
  t.match(describeStartupError(err('SQLITE_CANTOPEN')), /--data-dir/);
  t.match(describeStartupError(err('SQLITE_NOTADB')), /not a vcio database/);
  t.equal(describeStartupError('odd'), 'odd');
});

t.test('metrics settings', async (t) => {
  const defaults = buildConfig(raw).metrics;
  t.same(defaults, { perHostLimit: Infinity, cacheSeconds: 15, onlineSeconds: 180, auth: null });
  const set = buildConfig({
    ...raw,
    metricsPerHost: '5000',
    metricsCacheSeconds: '0',
    metricsOnlineSeconds: '600',
    metricsToken: 'a-long-scrape-token-value',
    metricsBasicAuth: 'prom:sec:ret-pass',
  }).metrics;
  t.same(set, {
    perHostLimit: 5000,
    cacheSeconds: 0,
    onlineSeconds: 600,
    auth: {
      bearerToken: 'a-long-scrape-token-value',
      basic: { username: 'prom', password: 'sec:ret-pass' },
    },
  });
  t.equal(parsePerHost('OFF'), 0);
  t.equal(parsePerHost('0'), 0);
  t.equal(parsePerHost(' on '), Infinity);
  t.throws(() => parsePerHost('some'), /must be on, off, or the most hosts/);
  t.throws(() => buildConfig({ ...raw, metricsCacheSeconds: '-1' }), /from 0 to 3600/);
  t.throws(() => buildConfig({ ...raw, metricsOnlineSeconds: '0' }), /from 1 to/);
  t.same(parseMetricsAuth(undefined, 'u:12345678'), {
    bearerToken: null,
    basic: { username: 'u', password: '12345678' },
  });
  t.equal(parseMetricsAuth('', ''), null, 'empty variables mean none');
  // Errors never repeat the secret.
  for (const [token, basic] of [
    ['short', undefined],
    ['has a space in it, long enough', undefined],
    [undefined, 'nocolon-secretvalue'],
    [undefined, ':passwordonly'],
    [undefined, 'user:short'],
    [undefined, 'user:line\nbreak-pass'],
  ] as const) {
    const error = (() => {
      try {
        parseMetricsAuth(token, basic);
      } catch (e) {
        return e as Error;
      }
      return null;
    })();
    t.ok(error instanceof ConfigError, `${token ?? basic} refused`);
    for (const secret of [token, basic]) {
      if (secret) t.notOk(error!.message.includes(secret), 'secret not echoed');
    }
  }
});

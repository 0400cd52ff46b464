import { createRateLimiter } from '../../../api/middleware/rate-limit';
import { API_KEY, unitApp } from './support/app';
import { serve, type TestServer } from './support/http';

describe('createRateLimiter', () => {
  it('lets RATE_LIMIT_PER_MINUTE requests through, then tells how many seconds to wait', () => {
    let now = 0;
    const limiter = createRateLimiter(3, () => now);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 0]);
    expect(limiter.take('a')).toBe(20);
    now = 19_000;
    expect(limiter.take('a')).toBe(1);
    now = 20_000;
    expect(limiter.take('a')).toBe(0);
  });

  it('keeps one bucket per identity', () => {
    const limiter = createRateLimiter(1, () => 0);
    expect(limiter.take('key-a|127.0.0.1')).toBe(0);
    expect(limiter.take('key-b|127.0.0.1')).toBe(0);
    expect(limiter.take('key-a|127.0.0.1')).toBeGreaterThan(0);
  });

  it('forgets full buckets when it holds too many, so memory stays bounded', () => {
    let now = 0;
    const limiter = createRateLimiter(60, () => now, 2);
    limiter.take('a');
    limiter.take('b');
    now = 60_000;
    limiter.take('c');
    // 'a' was pruned and starts again with a full bucket of 60.
    for (let i = 0; i < 60; i++) expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBeGreaterThan(0);
  });
});

describe('rate limiting of /api/*', () => {
  let server: TestServer;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const { app, temporal } = await unitApp({ RATE_LIMIT_PER_MINUTE: '2' });
    server = await serve(app);
    close = () => temporal.connection.close();
  });
  afterAll(async () => {
    await server.close();
    await close();
  });

  it('answers 429 with Retry-After once the key has used its requests of the minute', async () => {
    const headers = { authorization: `Bearer ${API_KEY}` };
    // Validation failures still count: the limiter runs before the body is read.
    for (let i = 0; i < 2; i++) expect((await server.request('GET', '/api/search', { headers })).status).toBe(400);
    const res = await server.request('GET', '/api/search', { headers });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(res.body).toEqual({
      error: { code: 'RATE_LIMITED', message: 'too many requests; retry in 30 s', details: { retryAfterSeconds: 30 } },
    });
  });

  it('does not rate limit the operations routes', async () => {
    for (let i = 0; i < 4; i++) expect((await server.request('GET', '/health/live')).status).toBe(200);
  });
});

// Hostile request content through the real API: bodies nested deep enough to exhaust a recursive
// walker are refused at parse time in the contract error shape (never a 500), and phone numbers
// written in any format or encoding never reach the request log whole.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../src/core/json-depth.js';
import { ADMIN_TOKEN, createApiHarness, type ApiHarness } from '../support/api.js';

let h: ApiHarness;
let org: { id: string; apiKey: string; auth: string };

beforeAll(async () => {
  h = await createApiHarness('api_hostile_input');
  org = await h.createOrg('Hostile org');
});
afterAll(async () => {
  await h.teardown();
});

/** A two-way campaign body whose outcomeSchema makes the whole body `depth` levels deep. */
function campaignNested(depth: number): string {
  // The body object is one level and outcomeSchema's own object another: depth - 2 more inside.
  const inner = depth - 2;
  const nested = '{"a":'.repeat(inner) + '1' + '}'.repeat(inner);
  return `{"name":"deep","mode":"two_way","instructions":"Ask.","outcomeSchema":{"type":"object","x":${nested}}}`;
}

function postCampaign(body: string) {
  return h.http
    .post('/v1/campaigns')
    .set('authorization', org.auth)
    .set('content-type', 'application/json')
    .send(body);
}

describe('deeply nested JSON bodies', () => {
  it(`accepts a body exactly ${MAX_JSON_DEPTH} levels deep and stores it intact`, async () => {
    for (const depth of [MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH]) {
      const res = await postCampaign(campaignNested(depth));
      expect(res.status, `depth ${depth}`).toBe(201);
      const id = (res.body as { id: string }).id;
      const back = await h.http.get(`/v1/campaigns/${id}`).set('authorization', org.auth).expect(200);
      // jsonb keeps its own key order: compare values, not text.
      expect((back.body as { outcomeSchema: unknown }).outcomeSchema).toEqual(
        (JSON.parse(campaignNested(depth)) as { outcomeSchema: unknown }).outcomeSchema,
      );
    }
  });

  it('refuses deeper bodies with 400 naming the limit, never a 500', async () => {
    for (const depth of [MAX_JSON_DEPTH + 1, 4100, 100_000]) {
      const res = await postCampaign(campaignNested(depth));
      expect(res.status, `depth ${depth}`).toBe(400);
      expect(res.body).toEqual({
        error: {
          code: 'invalid_request',
          message: `request body nests deeper than ${MAX_JSON_DEPTH} levels`,
          details: { maxDepth: MAX_JSON_DEPTH },
        },
      });
    }
  });

  it('refuses deep bodies on every JSON route: org creation, DNC, webhooks, batch JSON', async () => {
    const deepArray = '['.repeat(4100) + ']'.repeat(4100);
    const routes = [
      h.http.post('/v1/orgs').set('authorization', `Bearer ${ADMIN_TOKEN}`),
      h.http.post('/v1/dnc').set('authorization', org.auth),
      h.http.post('/v1/webhooks').set('authorization', org.auth),
    ];
    const campaign = await postCampaign(campaignNested(3)).expect(201);
    const id = (campaign.body as { id: string }).id;
    routes.push(h.http.post(`/v1/campaigns/${id}/batches`).set('authorization', org.auth));
    for (const req of routes) {
      const res = await req.set('content-type', 'application/json').send(`{"phones":${deepArray}}`);
      expect(res.status, req.url).toBe(400);
      expect((res.body as { error: { message: string } }).error.message).toMatch(
        /nests deeper than 400 levels/,
      );
    }
  });

  it('applies the same limit to a UTF-16 body', async () => {
    const utf16 = (text: string) =>
      h.http
        .post('/v1/campaigns')
        .set('authorization', org.auth)
        .set('content-type', 'application/json; charset=utf-16le')
        // As is: superagent would JSON-encode a Buffer (its typing wants a string, it writes either).
        .serialize((bytes: Buffer) => bytes as unknown as string)
        .send(Buffer.from(text, 'utf16le'));
    expect((await utf16(campaignNested(MAX_JSON_DEPTH))).status).toBe(201);
    expect((await utf16(campaignNested(4100))).status).toBe(400);
  });

  it('does not count brackets inside strings', async () => {
    const brackets = '{['.repeat(900);
    const res = await h.http
      .post('/v1/campaigns')
      .set('authorization', org.auth)
      .send({ name: 'brackets', mode: 'one_way', message: `${brackets} \\" ${brackets}` });
    expect(res.status).toBe(201);
  });
});

describe('request log', () => {
  it('masks phone numbers in paths whatever their format or encoding', async () => {
    const from = h.logs.length;
    const paths = [
      '/v1/dnc/212-555-0142',
      '/v1/dnc/(212)%20555-0142',
      '/v1/dnc/%2B1%20212%20555%200142',
      '/v1/dnc/1.212.555.0142',
      '/v1/campaigns/%2B12125550142',
    ];
    for (const path of paths) {
      await h.http.get(path).set('authorization', org.auth).expect(404);
    }
    await h.http.get('/v1/dnc').query({ phone: '(212) 555-0142' }).set('authorization', org.auth).expect(200);
    const lines = h.logs.slice(from).filter((l) => l.includes('http.request'));
    expect(lines).toHaveLength(paths.length + 1);
    const text = lines.join('');
    expect(text).not.toMatch(/212\D{0,6}555/);
    expect(text).not.toMatch(/%32%31%32|2125550142/);
    expect(text.match(/\*{6,7}0142/g)).toHaveLength(paths.length);
  });
});

import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors.js';
import { csvRecords, type CsvRecord } from './csv-records.js';

async function read(input: string | Buffer | Buffer[]): Promise<CsvRecord[]> {
  const chunks = Array.isArray(input) ? input : [typeof input === 'string' ? Buffer.from(input) : input];
  const out: CsvRecord[] = [];
  for await (const r of csvRecords(Readable.from(chunks))) out.push(r);
  return out;
}

describe('csvRecords', () => {
  it('reports the physical line each record starts on, with quoted newlines and blank lines', async () => {
    for (const eol of ['\n', '\r\n']) {
      const text = ['phone,note', '1,"a', 'b"', '', '2,c', '3,"x', 'y', 'z"', '4,d'].join(eol);
      const lines = (await read(text)).map((r) => r.line);
      expect(lines, JSON.stringify(eol)).toEqual([1, 2, 5, 6, 9]);
    }
  });

  it('finds the start line of every record whatever newlines its quoted fields hold', async () => {
    const cell = fc.array(fc.constantFrom('a', ',', '"', '\n', '\r\n', 'é'), { maxLength: 6 }).map((p) => p.join(''));
    const eol = fc.constantFrom('\n', '\r\n');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(cell, cell), { minLength: 1, maxLength: 8 }), eol, async (rows, nl) => {
        let text = `phone,note${nl}`;
        const expected = [1];
        for (const [a, b] of rows) {
          expected.push(text.split(/\r\n|\n/).length);
          text += `"${a.replaceAll('"', '""')}","${b.replaceAll('"', '""')}"${nl}`;
        }
        const records = await read(text);
        expect(records.map((r) => r.line)).toEqual(expected);
        expect(records.slice(1).map((r) => r.fields)).toEqual(rows);
      }),
      { seed: 99, numRuns: 200 },
    );
  });

  it('strips a byte-order mark from the header', async () => {
    const [header] = await read(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('phone,name\n1,a\n')]));
    expect(header?.fields).toEqual(['phone', 'name']);
  });

  it('decodes multi-byte characters split across chunks', async () => {
    const bytes = Buffer.from('phone,name\n1,Zoë 👩‍⚕️ 北京\n');
    const oneByteChunks = [...bytes].map((b) => Buffer.from([b]));
    expect((await read(oneByteChunks))[1]?.fields).toEqual(['1', 'Zoë 👩‍⚕️ 北京']);
  });

  it('refuses unbalanced quotes as a file-level error', async () => {
    await expect(read('phone,name\n1,"open\n2,b\n')).rejects.toThrow(/unbalanced quotes/);
  });

  it('leaves the caller’s stream open when it fails', async () => {
    const body = Readable.from([Buffer.from('phone\n"open\n')]);
    const run = async () => {
      for await (const _ of csvRecords(body)) void _;
    };
    await expect(run()).rejects.toThrow(ValidationError);
    expect(body.destroyed && body.errored).toBeFalsy();
  });
});

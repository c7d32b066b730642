import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UnprocessableError, ValidationError } from '../../core/errors.js';
import { MAX_COLUMNS } from './contact-row.js';
import { csvRecords, MAX_HEADER_BYTES, MAX_RECORD_BYTES, type CsvRecord } from './csv-records.js';

async function read(input: string | Buffer | Buffer[]): Promise<CsvRecord[]> {
  const chunks = Array.isArray(input) ? input : [typeof input === 'string' ? Buffer.from(input) : input];
  const out: CsvRecord[] = [];
  for await (const r of csvRecords(Readable.from(chunks))) out.push(r);
  return out;
}

/** `text` as the 64 KiB chunks a file stream reads. */
function fileChunks(text: string): Buffer[] {
  const bytes = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 65536) out.push(bytes.subarray(i, i + 65536));
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

  it('names the line of the record that breaks the file, after the records before it in the same chunk', async () => {
    await expect(read('phone,name\n1,a\n\n2,b\n3,"open\n4,b\n')).rejects.toThrow(
      'unbalanced quotes: the record starting on line 5 opens a quote that is never closed',
    );
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

describe('csvRecords limits', () => {
  it('takes a header of exactly the column limit and refuses one more, naming the limit', async () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`).join(',');
    const [header] = await read(`phone,${names(MAX_COLUMNS - 1)}\n1,${'x,'.repeat(MAX_COLUMNS - 2)}x\n`);
    expect(header?.fields).toHaveLength(MAX_COLUMNS);
    await expect(read(`phone,${names(MAX_COLUMNS)}\n`)).rejects.toMatchObject({
      status: 422,
      message: `the header has more than ${MAX_COLUMNS} columns (the limit)`,
      details: { limit: 'maxColumns', max: MAX_COLUMNS },
    });
  });

  it('refuses a million-column header after reading little more than one record’s worth of it', async () => {
    const chunks = fileChunks(`phone${','.repeat(1_000_000)}\n1\n`);
    let pulled = 0;
    const source = Readable.from(
      (function* () {
        for (const c of chunks) {
          pulled++;
          yield c;
        }
      })(),
    );
    const run = async () => {
      for await (const _ of csvRecords(source)) void _;
    };
    await expect(run()).rejects.toMatchObject({ details: { limit: 'maxColumns' } });
    expect(pulled * 65536).toBeLessThan(MAX_RECORD_BYTES + 4 * 65536);
  });

  it('refuses any header or row past the column limit, whatever its cells hold', async () => {
    const cell = fc.constantFrom('', 'a', '"q,uoted"', 'é');
    await fc.assert(
      fc.asyncProperty(fc.array(cell, { maxLength: 2 * MAX_COLUMNS }), fc.boolean(), async (rest, inHeader) => {
        const cells = ['x', ...rest];
        const record = cells.join(',');
        const text = inHeader ? `${record}\n1\n` : `phone\n1\n${record}\n`;
        const run = read(text);
        if (cells.length <= MAX_COLUMNS) {
          const records = await run;
          expect(records[inHeader ? 0 : 2]?.fields).toHaveLength(cells.length);
        } else {
          await expect(run).rejects.toMatchObject({
            status: 422,
            details: inHeader ? { limit: 'maxColumns' } : { limit: 'maxColumns', line: 3 },
          });
        }
      }),
      { seed: 1919, numRuns: 150 },
    );
  });

  it('refuses a header larger than its byte limit, even with few columns', async () => {
    const long = 'h'.repeat(MAX_HEADER_BYTES);
    await expect(read(`phone,${long}\n1,a\n`)).rejects.toMatchObject({
      status: 422,
      details: { limit: 'maxHeaderBytes', max: MAX_HEADER_BYTES },
    });
  });

  it('passes a large row on and refuses a row past the record limit, naming it and its line', async () => {
    const big = 'x'.repeat(MAX_RECORD_BYTES - 100);
    const records = await read(fileChunks(`phone,note\n1,"${big}"\n2,b\n`));
    expect(records.map((r) => r.line)).toEqual([1, 2, 3]);
    await expect(read(fileChunks(`phone,note\n1,a\n2,"${big}${big}"\n3,c\n`))).rejects.toMatchObject({
      status: 422,
      message: `the record starting on line 3 is larger than ${MAX_RECORD_BYTES} bytes (the limit)`,
      details: { limit: 'maxRecordBytes', max: MAX_RECORD_BYTES, line: 3 },
    });
    await expect(read(fileChunks(`phone,"${big}"\n`))).rejects.toMatchObject({ details: { limit: 'maxHeaderBytes' } });
  });

  it('reports the limits as UnprocessableError', async () => {
    await expect(read(`${'a,'.repeat(MAX_COLUMNS)}a\n`)).rejects.toThrow(UnprocessableError);
  });
});

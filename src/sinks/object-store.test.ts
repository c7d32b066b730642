import { describe, expect, it } from 'vitest';
import { objectOf } from './object-store.js';

describe('objectOf', () => {
  it.each([
    ['s3://recordings/calls/a.ogg', { bucket: 'recordings', key: 'calls/a.ogg' }],
    ['https://minio.local:9000/recordings/calls/a%20b.ogg', { bucket: 'recordings', key: 'calls/a b.ogg' }],
    [
      'https://recordings.s3.us-east-1.amazonaws.com/calls/a.ogg',
      { bucket: 'recordings', key: 'calls/a.ogg' },
    ],
    ['calls/a.ogg', { bucket: 'recordings', key: 'calls/a.ogg' }],
  ])('finds the object of %s', (url, expected) => {
    expect(objectOf(url, 'recordings')).toEqual(expected);
  });

  it.each([
    's3://other/calls/a.ogg',
    'https://cdn.example.com/elsewhere/a.ogg',
    'https://minio.local/recordings/',
  ])('refuses %s, which is not in the bucket', (url) => {
    expect(objectOf(url, 'recordings')).toBeNull();
  });
});

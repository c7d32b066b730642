// The S3 API, reduced to what retention needs: delete one object. Requests are signed with
// SigV4 by aws4fetch and sent path-style to S3_ENDPOINT (any S3-compatible server) or AWS.
import { AwsClient } from 'aws4fetch';
import type { Config } from '../core/config.js';

export interface ObjectStore {
  bucket: string;
  /** Deletes the object; an object already gone counts as deleted. */
  deleteObject(bucket: string, key: string): Promise<void>;
}

export function createObjectStore(config: Config): ObjectStore | null {
  if (!config.S3_ACCESS_KEY || !config.S3_SECRET_KEY) return null;
  const client = new AwsClient({
    accessKeyId: config.S3_ACCESS_KEY,
    secretAccessKey: config.S3_SECRET_KEY,
    region: config.S3_REGION,
    service: 's3',
  });
  const endpoint = (config.S3_ENDPOINT ?? `https://s3.${config.S3_REGION}.amazonaws.com`).replace(/\/+$/, '');
  return {
    bucket: config.S3_BUCKET,
    async deleteObject(bucket, key) {
      const path = key.split('/').map(encodeURIComponent).join('/');
      const res = await client.fetch(`${endpoint}/${encodeURIComponent(bucket)}/${path}`, {
        method: 'DELETE',
      });
      await res.arrayBuffer();
      if (!res.ok && res.status !== 404) throw new Error(`S3 DELETE ${bucket}/${key}: HTTP ${res.status}`);
    },
  };
}

/**
 * Where a recording lives, from the URL egress reported: `s3://bucket/key`, path-style
 * `https://host/bucket/key`, or virtual-hosted `https://bucket.host/key`. Null when the URL
 * does not name `bucket` (then it is not ours to delete).
 */
export function objectOf(url: string, bucket: string): { bucket: string; key: string } | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // Not a URL at all (e.g. a bare key written by an older version): treat it as a key.
    return url.length > 0 ? { bucket, key: url.replace(/^\/+/, '') } : null;
  }
  const path = decodeURIComponent(u.pathname.replace(/^\/+/, ''));
  if (u.protocol === 's3:') return u.hostname === bucket && path ? { bucket, key: path } : null;
  if (u.hostname.startsWith(`${bucket}.`) && path) return { bucket, key: path };
  if (path.startsWith(`${bucket}/`) && path.length > bucket.length + 1)
    return { bucket, key: path.slice(bucket.length + 1) };
  return null;
}

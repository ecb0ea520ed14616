/**
 * Fetching `extends` given as URLs, like zc.buildout.download.Download with
 * hash_name=True: http(s) via Node, file:// by reading the path,
 * the `extends-cache` directory with md5(url) file names, and the
 * offline / newest (fallback) rules.
 */
import * as fs from 'fs';
import type * as http from 'http';
import type * as Crypto from 'crypto';
import { BuildoutUserError } from './user-error';
import { MAX_NAMED_FILE_BYTES, readNamedFile, tooLarge } from '../named-file';
import { pathJoin, pyRepr } from './pywhitespace';

export interface DownloadSettings {
  /** buildout:directory of the download options ('' when unknown). */
  directory: string;
  /** extends-cache value; '' or undefined = no cache. */
  cache?: string;
  offline: boolean;
  /** newest and not yet fetched in this run: try the network before the cache. */
  fallback: boolean;
}

export interface Downloaded {
  /** The bytes of the file. */
  content: Buffer;
  /** The local path the bytes were read from (buildout's "downloaded as"). */
  localPath?: string;
}

const TIMEOUT_MS = 30000;

function fetchUrl(url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // loaded on first use: http/https (and TLS) are costly to load and most configs are local
    const client = (url.startsWith('https:') ? require('https') : require('http')) as typeof http;
    let req: http.ClientRequest;
    try {
      req = client.get(url, (res) => {
        if (!res.statusCode || res.statusCode >= 400) {
          res.resume();
          reject(new Error(`HTTP Error ${res.statusCode}: ${res.statusMessage ?? ''}`));
          return;
        }
        if (res.statusCode >= 300 && res.headers.location) {
          res.resume();
          fetchUrl(new URL(res.headers.location, url).toString()).then(resolve, reject);
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_NAMED_FILE_BYTES) {
            req.destroy(new Error(tooLarge()));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      });
    } catch (err) {
      reject(err);
      return;
    }
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error('timed out')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') reject(new Error('<urlopen error [Errno 111] Connection refused>'));
      else reject(new Error(`<urlopen error ${err.message}>`));
    });
  });
}

function fileUrlPath(url: string): string {
  // urlparse(url)[2]: the path after the (possibly empty) host.
  const rest = url.replace(/^[a-zA-Z0-9+.-]+:\/\//, '');
  const slash = rest.indexOf('/');
  return decodeURIComponent(slash < 0 ? '' : rest.slice(slash));
}

/** `Download.download`: no cache involved. */
async function downloadDirect(url: string, offline: boolean): Promise<Downloaded> {
  if (/^file:/i.test(url)) {
    const path = fileUrlPath(url);
    return { content: readNamedFile(path), localPath: path };
  }
  if (offline) throw new BuildoutUserError(`Couldn't download ${pyRepr(url)} in offline mode.`);
  try {
    return { content: await fetchUrl(url) };
  } catch (err) {
    throw new BuildoutUserError(`Error downloading extends for URL ${url}: ${(err as Error).message}`);
  }
}

/** `Download.__call__(url)` with hash_name=True. */
export async function downloadExtends(url: string, settings: DownloadSettings): Promise<Downloaded> {
  if (!settings.cache) return downloadDirect(url, settings.offline);
  let cacheDir = pathJoin(settings.directory, settings.cache);
  try {
    cacheDir = fs.realpathSync(cacheDir);
  } catch {
    throw new BuildoutUserError(`The directory:\n${pyRepr(cacheDir)}\nto be used as a download cache doesn't exist.\n`);
  }
  // crypto is loaded here, not at start-up: it costs every `hostout --resolve` ~6 ms
  // and only URL extends need it.
  const { createHash } = require('crypto') as typeof Crypto;
  const cached = pathJoin(cacheDir, createHash('md5').update(url, 'utf8').digest('hex'));
  if (fs.existsSync(cached)) {
    if (settings.fallback) {
      try {
        const fresh = await downloadDirect(url, settings.offline);
        await fs.promises.writeFile(cached, fresh.content);
      } catch {
        // buildout falls back to the cached copy on any failure
      }
    }
    return { content: readNamedFile(cached), localPath: cached };
  }
  const fresh = await downloadDirect(url, settings.offline);
  await fs.promises.writeFile(cached, fresh.content);
  return { content: fresh.content, localPath: cached };
}

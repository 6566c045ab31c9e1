// nginx in front of a server under test, as deployments put it: its default upstream (HTTP/1.0, a
// new connection per request) or an upstream with keepalive (HTTP/1.1, pooled connections).
// One process (master_process off), its own prefix in a temporary folder, access log off.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startChild, stopChild } from './common.mjs';

const NGINX = process.env.NGINX ?? '/usr/sbin/nginx';

export function nginxAvailable() {
  return existsSync(NGINX) ? { ok: true } : { ok: false, reason: `nginx not found at ${NGINX} (apt-get install nginx, or set NGINX=/path/to/nginx)` };
}

/** The configuration: nginx on `port` proxying to 127.0.0.1:`upstream`; `keepalive` pools upstream connections. */
function config(prefix, port, upstream, keepalive) {
  return `daemon off;
master_process off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  upstream app {
    server 127.0.0.1:${upstream};
    ${keepalive ? 'keepalive 64;' : ''}
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      proxy_pass http://app;
      ${keepalive ? 'proxy_http_version 1.1;\n      proxy_set_header Connection "";' : ''}
    }
  }
}
`;
}

/** Starts nginx on `port` in front of `upstream`; stop() ends it and removes its folder. */
export function startNginx(port, upstream, keepalive) {
  const prefix = mkdtempSync(path.join(os.tmpdir(), 'wasgi-bench-nginx-'));
  const file = path.join(prefix, 'nginx.conf');
  writeFileSync(file, config(prefix, port, upstream, keepalive));
  const handle = startChild(NGINX, ['-p', prefix, '-c', file]);
  return {
    handle,
    async stop() {
      await stopChild(handle);
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

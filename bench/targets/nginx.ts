import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type BenchChild, freePort, startChild, waitUntilServing } from '../lib/processes.js'
import type { Target } from './target.js'

/** True when an `nginx` binary is on the PATH (the nginx comparison is optional). */
export function nginxAvailable(): boolean {
  return spawnSync('nginx', ['-v'], { stdio: 'ignore' }).status === 0
}

/** One worker, no buffering either way, keep-alive to the upstream: a fair streaming relay. */
function nginxConfig(dir: string, port: number, upstreamUrl: string): string {
  const upstream = new URL(upstreamUrl).host
  return `worker_processes 1;
worker_rlimit_nofile 16384;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream mock { server ${upstream}; keepalive 1024; }
  server {
    listen 127.0.0.1:${port};
    location = /healthz { return 200 'ok'; }
    location / {
      proxy_pass http://mock;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
`
}

export async function startNginx(
  upstreamUrl: string,
  upstreamKey: string,
  workDir: string,
): Promise<{ target: Target; process: BenchChild }> {
  const dir = join(workDir, 'nginx')
  mkdirSync(dir, { recursive: true })
  const port = await freePort()
  const configFile = join(dir, 'nginx.conf')
  writeFileSync(configFile, nginxConfig(dir, port, upstreamUrl))
  const child = startChild({
    name: 'nginx',
    command: 'nginx',
    args: ['-p', dir, '-c', configFile, '-g', 'daemon off;'],
    cwd: dir,
    env: { PATH: process.env.PATH ?? '' },
    logFile: join(dir, 'stdout.log'),
  })
  const origin = `http://127.0.0.1:${port}`
  await waitUntilServing(`${origin}/healthz`, child)
  return {
    target: { name: 'nginx', origin, authorization: `Bearer ${upstreamKey}`, pid: child.pid },
    process: child,
  }
}

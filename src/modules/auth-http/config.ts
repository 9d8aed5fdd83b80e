/** Config shapes of auth-http (schemas/modules/auth-http/v1.json, defaults applied by the schema). */

export interface HttpRequestConfig {
  enable: boolean;
  url: string;
  method: 'post' | 'get';
  headers: Record<string, string>;
  params: Record<string, string>;
}

export interface HttpTlsConfig {
  cafile?: string;
  certfile?: string;
  keyfile?: string;
  verify: boolean;
  server_name_indication?: string;
}

export interface AuthHttpConfig {
  auth_req: HttpRequestConfig;
  super_req: HttpRequestConfig;
  acl_req: HttpRequestConfig;
  request_timeout: string;
  connect_timeout: string;
  pool_size: number;
  pipelining: number;
  ssl: HttpTlsConfig;
  on_backend_error: 'ignore' | 'deny';
}

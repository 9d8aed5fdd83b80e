/** Identity -> key. The first entry for an identity wins (config entries before the file's). */
export class PskTable {
  private readonly keys = new Map<string, Buffer>();

  add(identity: string, secret: string): void {
    // The key is the secret's text bytes, as 4.x emqx_psk_file used the psk.txt text.
    if (!this.keys.has(identity)) this.keys.set(identity, Buffer.from(secret, 'utf8'));
  }

  get(identity: string): Buffer | undefined {
    return this.keys.get(identity);
  }

  get size(): number {
    return this.keys.size;
  }
}

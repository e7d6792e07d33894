// The D-Bus wire format for the push tests' notification server (desktop.mjs).

import assert from 'node:assert/strict';

// The D-Bus wire format, as much as a notification server needs: little-endian messages,
// the basic types, arrays, structs, dict entries and variants.
const ALIGN = { y: 1, b: 4, n: 2, q: 2, i: 4, u: 4, x: 8, t: 8, d: 8, s: 4, o: 4, g: 1, a: 4, '(': 8, '{': 8, v: 1, h: 4 };

/** The complete types of a signature ("sa{sv}i" → ["s", "a{sv}", "i"]). */
function splitTypes(signature) {
  const end = (i) => {
    if (signature[i] === 'a') return end(i + 1);
    if (signature[i] === '(' || signature[i] === '{') {
      const close = signature[i] === '(' ? ')' : '}';
      let j = i + 1;
      while (signature[j] !== close) j = end(j);
      return j + 1;
    }
    return i + 1;
  };
  const types = [];
  for (let i = 0; i < signature.length; i = end(i)) types.push(signature.slice(i, end(i)));
  return types;
}

class DBusWriter {
  bytes = [];
  pad(n) {
    while (this.bytes.length % n) this.bytes.push(0);
  }
  raw(buffer) {
    for (const byte of buffer) this.bytes.push(byte);
  }
  u32(value) {
    this.pad(4);
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value);
    this.raw(b);
  }
  write(type, value) {
    switch (type[0]) {
      case 'y':
        return this.bytes.push(value);
      case 'b':
        return this.u32(value ? 1 : 0);
      case 'u':
        return this.u32(value);
      case 'i': {
        this.pad(4);
        const b = Buffer.alloc(4);
        b.writeInt32LE(value);
        return this.raw(b);
      }
      case 's':
      case 'o': {
        const b = Buffer.from(value, 'utf8');
        this.u32(b.length);
        this.raw(b);
        return this.bytes.push(0);
      }
      case 'g':
        this.bytes.push(value.length);
        this.raw(Buffer.from(value, 'latin1'));
        return this.bytes.push(0);
      case 'v':
        this.write('g', value[0]);
        return this.write(value[0], value[1]);
      case 'a': {
        this.u32(0);
        const at = this.bytes.length - 4;
        this.pad(ALIGN[type[1]]);
        const start = this.bytes.length;
        for (const item of value) this.write(type.slice(1), item);
        const length = Buffer.alloc(4);
        length.writeUInt32LE(this.bytes.length - start);
        this.bytes.splice(at, 4, ...length);
        return;
      }
      case '(':
      case '{':
        this.pad(8);
        splitTypes(type.slice(1, -1)).forEach((t, k) => this.write(t, value[k]));
        return;
      default:
        throw new Error(`cannot write D-Bus type ${type}`);
    }
  }
  buffer() {
    return Buffer.from(this.bytes);
  }
}

class DBusReader {
  constructor(buffer, at = 0) {
    this.b = buffer;
    this.at = at;
  }
  read(type) {
    this.at += (ALIGN[type[0]] - (this.at % ALIGN[type[0]])) % ALIGN[type[0]];
    const { b } = this;
    const take = (n, value) => ((this.at += n), value);
    switch (type[0]) {
      case 'y':
        return take(1, b[this.at]);
      case 'b':
        return take(4, b.readUInt32LE(this.at) !== 0);
      case 'n':
        return take(2, b.readInt16LE(this.at));
      case 'q':
        return take(2, b.readUInt16LE(this.at));
      case 'i':
        return take(4, b.readInt32LE(this.at));
      case 'u':
      case 'h':
        return take(4, b.readUInt32LE(this.at));
      case 'x':
        return take(8, b.readBigInt64LE(this.at));
      case 't':
        return take(8, b.readBigUInt64LE(this.at));
      case 'd':
        return take(8, b.readDoubleLE(this.at));
      case 's':
      case 'o': {
        const n = b.readUInt32LE(this.at);
        return take(4 + n + 1, b.toString('utf8', this.at + 4, this.at + 4 + n));
      }
      case 'g': {
        const n = b[this.at];
        return take(1 + n + 1, b.toString('latin1', this.at + 1, this.at + 1 + n));
      }
      case 'v': {
        const signature = this.read('g');
        return [signature, this.read(signature)];
      }
      case 'a': {
        const n = b.readUInt32LE(this.at);
        this.at += 4;
        const inner = type.slice(1);
        this.at += (ALIGN[inner[0]] - (this.at % ALIGN[inner[0]])) % ALIGN[inner[0]];
        const end = this.at + n;
        const items = [];
        while (this.at < end) items.push(this.read(inner));
        return items;
      }
      case '(':
      case '{':
        return splitTypes(type.slice(1, -1)).map((t) => this.read(t));
      default:
        throw new Error(`cannot read D-Bus type ${type}`);
    }
  }
}

/** The header fields: their codes and types. */
const FIELDS = {
  path: [1, 'o'],
  interface: [2, 's'],
  member: [3, 's'],
  error: [4, 's'],
  replySerial: [5, 'u'],
  destination: [6, 's'],
  sender: [7, 's'],
  signature: [8, 'g'],
};
export const KIND = { call: 1, reply: 2, error: 3, signal: 4 };

export function encodeMessage(kind, serial, fields, signature = '', body = []) {
  const payload = new DBusWriter();
  splitTypes(signature).forEach((t, k) => payload.write(t, body[k]));
  const content = payload.buffer();
  const header = new DBusWriter();
  header.raw([0x6c, kind, kind === KIND.call ? 0 : 1, 1]); // little-endian; replies and signals want no reply
  header.u32(content.length);
  header.u32(serial);
  const list = Object.entries({ ...fields, signature: signature || undefined })
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => [FIELDS[name][0], [FIELDS[name][1], value]]);
  header.write('a(yv)', list);
  header.pad(8);
  return Buffer.concat([header.buffer(), content]);
}

/** One message from the start of `buffer`, or null while it is incomplete. */
export function decodeMessage(buffer) {
  if (buffer.length < 16) return null;
  assert.equal(buffer[0], 0x6c, 'a little-endian D-Bus message');
  const fieldsLength = buffer.readUInt32LE(12);
  const bodyAt = 16 + fieldsLength + ((8 - ((16 + fieldsLength) % 8)) % 8);
  const size = bodyAt + buffer.readUInt32LE(4);
  if (buffer.length < size) return null;
  const message = { kind: buffer[1], serial: buffer.readUInt32LE(8), body: [] };
  for (const [code, [, value]] of new DBusReader(buffer, 12).read('a(yv)')) {
    const name = Object.keys(FIELDS).find((key) => FIELDS[key][0] === code);
    if (name) message[name] = value;
  }
  if (message.signature) {
    const reader = new DBusReader(buffer.subarray(bodyAt, size));
    message.body = splitTypes(message.signature).map((t) => reader.read(t));
  }
  return { message, size };
}

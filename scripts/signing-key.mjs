#!/usr/bin/env node
// Prints a new Ed25519 signing key as Tarn's JWT_SIGNING_KEYS value. To rotate, pass the current value:
// the new key goes first (it signs from now on) and the old ones stay (their tokens keep verifying).
// Drop a key from the list 24 hours after it stopped signing (a token lives 24 hours).
//   node scripts/signing-key.mjs                       # a fresh list with one key
//   node scripts/signing-key.mjs "$(cat current.json)" # rotation: new key + current keys
import { generateKeyPairSync, randomBytes } from "node:crypto";

const { privateKey } = generateKeyPairSync("ed25519");
const jwk = privateKey.export({ format: "jwk" });
const kid = `${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString("hex")}`;
const current = process.argv[2] ? JSON.parse(process.argv[2]) : [];
console.log(JSON.stringify([{ kty: "OKP", crv: "Ed25519", kid, x: jwk.x, d: jwk.d }, ...current]));

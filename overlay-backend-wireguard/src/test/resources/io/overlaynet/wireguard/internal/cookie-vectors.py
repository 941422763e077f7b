#!/usr/bin/env python3
"""Independent values for CookieVectors.java (CookieCheckerTest, CookieJarTest): WireGuard's
MAC1, cookie, cookie reply and MAC2 (paper 5.4.4, 5.4.7), written from the paper and wireguard-go's
device/cookie.go, not from the Java code. BLAKE2s from hashlib; ChaCha20-Poly1305 from the `cryptography` package; HChaCha20
(for XChaCha20-Poly1305) written here and checked against draft-irtf-cfrg-xchacha-03 2.2.1.

Run: python3 cookie-vectors.py
"""
import hashlib
import struct
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305


def HASH(b):
    return hashlib.blake2s(b).digest()


def MAC(key, b):
    return hashlib.blake2s(b, digest_size=16, key=key).digest()


def hchacha20(key, nonce16):
    def rotl(v, n):
        return ((v << n) & 0xffffffff) | (v >> (32 - n))

    def qr(s, a, b, c, d):
        s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl(s[d] ^ s[a], 16)
        s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl(s[b] ^ s[c], 12)
        s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl(s[d] ^ s[a], 8)
        s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl(s[b] ^ s[c], 7)

    s = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]
    s += list(struct.unpack('<8I', key)) + list(struct.unpack('<4I', nonce16))
    for _ in range(10):
        qr(s, 0, 4, 8, 12); qr(s, 1, 5, 9, 13); qr(s, 2, 6, 10, 14); qr(s, 3, 7, 11, 15)
        qr(s, 0, 5, 10, 15); qr(s, 1, 6, 11, 12); qr(s, 2, 7, 8, 13); qr(s, 3, 4, 9, 14)
    return struct.pack('<8I', *(s[0:4] + s[12:16]))


def xseal(key, nonce24, plain, aad):
    sub = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(sub).encrypt(b'\0' * 4 + nonce24[16:], plain, aad)


# draft-irtf-cfrg-xchacha-03 2.2.1
assert hchacha20(bytes(range(32)), bytes.fromhex('000000090000004a0000000031415927')).hex() == \
    '82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc'

responder_pub = bytes(range(0x20, 0x40))          # the cookie checker's static public key
secret = bytes(range(0x80, 0xa0))                 # R, the checker's random secret
nonce = bytes(range(0xc0, 0xd8))                  # the reply's random nonce
src = bytes([192, 0, 2, 1]) + struct.pack('<H', 51820)   # 192.0.2.1:51820, port little-endian

msg = bytearray(148)                              # an initiation: type 1, sender 0x04030201
msg[0] = 1
msg[4:8] = struct.pack('<I', 0x04030201)
msg[8:116] = bytes((i * 7) & 0xff for i in range(108))
msg[116:132] = MAC(HASH(b'mac1----' + responder_pub), bytes(msg[:116]))
mac1 = bytes(msg[116:132])

cookie = MAC(secret, src)
reply = struct.pack('<II', 3, 0x04030201) + nonce + xseal(
    HASH(b'cookie--' + responder_pub), nonce, cookie, mac1)
msg[132:148] = MAC(cookie, bytes(msg[:132]))

print('message ', bytes(msg).hex())
print('cookie  ', cookie.hex())
print('reply   ', reply.hex())

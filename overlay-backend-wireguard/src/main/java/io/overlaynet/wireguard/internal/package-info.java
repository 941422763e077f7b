/**
 * The WireGuard protocol's building blocks, not API: the primitives of the WireGuard paper
 * (BLAKE2s, HMAC, HKDF, TAI64N; X25519 and ChaCha20-Poly1305 from the JDK), the wire messages,
 * the replay window and the Noise_IKpsk2 handshake.
 */
package io.overlaynet.wireguard.internal;

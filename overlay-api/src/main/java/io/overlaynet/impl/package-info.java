/**
 * Internal helpers shared by overlaynet's own modules (the agent, the backends, the etcd store):
 * the wakeable worker loop, jittered back-off and rate-limited retry logging. Not API: the module
 * exports this package only to overlaynet's modules, and it may change without notice.
 */
package io.overlaynet.impl;

/**
 * The flanneld-compatible example agent, the one-command demo cluster and embedding examples.
 */
package io.overlaynet.examples;

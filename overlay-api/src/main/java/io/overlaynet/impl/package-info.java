/**
 * Internal implementations behind the public contracts of {@code io.overlaynet}; not API. Obtain
 * them through the factories on the interfaces (e.g. {@link io.overlaynet.SubnetManager#overStore}).
 */
package io.overlaynet.impl;

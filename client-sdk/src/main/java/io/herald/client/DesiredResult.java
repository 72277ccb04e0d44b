package io.herald.client;

/**
 * The outcome of setting a device's desired state.
 *
 * @param desiredVersion the desired state's new version
 * @param pushed whether the device was online and has been sent it
 */
public record DesiredResult(long desiredVersion, boolean pushed) {}

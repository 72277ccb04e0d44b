package io.herald.client;

import java.util.Map;

/**
 * A command for a device: the state a backend wants it in. Apply it, then call
 * {@link DeviceClient#acknowledgeDesired(long)} with its version; until then it is sent
 * again on every connect.
 *
 * @param version the desired state's version
 * @param desired every desired field
 * @param delta the desired fields whose reported value differs or is missing
 */
public record DesiredState(long version, Map<String, Object> desired, Map<String, Object> delta) {}

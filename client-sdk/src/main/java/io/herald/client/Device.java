package io.herald.client;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A device as the node knows it. State values are {@link Double}, {@link String} or
 * {@link Boolean}.
 *
 * @param deviceId the device's id
 * @param reported the state the device reported
 * @param reportedVersion grows by one with every change of {@code reported}
 * @param desired the state backends want the device in
 * @param desiredVersion grows by one with every change of {@code desired}
 * @param delta the desired fields whose reported value differs or is missing
 * @param ackedDesiredVersion the highest desired version the device acknowledged
 * @param online whether the device is connected now
 * @param nodeId the node it is connected to, when online
 * @param lastSeen when the device last connected, reported, acknowledged or left
 * @param groups the groups its token names
 */
public record Device(
    String deviceId,
    Map<String, Object> reported,
    long reportedVersion,
    Map<String, Object> desired,
    long desiredVersion,
    Map<String, Object> delta,
    long ackedDesiredVersion,
    boolean online,
    String nodeId,
    Instant lastSeen,
    List<String> groups) {}

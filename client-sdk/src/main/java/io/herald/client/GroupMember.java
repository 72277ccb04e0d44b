package io.herald.client;

import io.herald.protocol.v1.MemberStatus;
import java.util.Optional;

/**
 * One member of a group as a member query found it.
 *
 * @param deviceId the member
 * @param status {@code ANSWERED} (online), {@code OFFLINE} (its last known state), or
 *     {@code TIMED_OUT} (no state: it did not answer in time)
 * @param device its state, unless it timed out
 */
public record GroupMember(String deviceId, MemberStatus status, Optional<Device> device) {}

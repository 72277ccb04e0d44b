package io.herald.client;

import java.util.List;
import java.util.Optional;

/**
 * One page of a group's members, in device id order, each asked for its state.
 *
 * @param groupId the group
 * @param members this page's members
 * @param nextAfter the id to ask the next page after; empty on the last page
 */
public record GroupDevicesPage(String groupId, List<GroupMember> members, Optional<String> nextAfter) {}

package io.herald.node.device;

import com.google.protobuf.Timestamp;
import io.herald.protocol.v1.DeviceView;

/** A device as the API and the {@code $device/...} topics show it. */
public final class DeviceViews {

  private DeviceViews() {}

  public static DeviceView toWire(DeviceSnapshot device) {
    return DeviceView.newBuilder()
        .setDeviceId(device.deviceId())
        .putAllReported(StateValues.toWire(device.reported()))
        .setReportedVersion(device.reportedVersion())
        .putAllDesired(StateValues.toWire(device.desired()))
        .setDesiredVersion(device.desiredVersion())
        .putAllDelta(StateValues.toWire(device.delta()))
        .setAckedDesiredVersion(device.ackedDesiredVersion())
        .setOnline(device.online())
        .setNodeId(device.nodeId())
        .setSessionId(device.sessionId())
        .setLastSeen(Timestamp.newBuilder()
            .setSeconds(device.lastSeen().getEpochSecond())
            .setNanos(device.lastSeen().getNano()))
        .addAllGroups(device.groups())
        .build();
  }
}

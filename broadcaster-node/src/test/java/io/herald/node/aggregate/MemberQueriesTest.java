package io.herald.node.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.herald.node.device.DeviceEntity;
import io.herald.node.device.DeviceSnapshot;
import io.herald.protocol.v1.MemberStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class MemberQueriesTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  private final TestProbe<DeviceEntity.Command> online = testKit.createTestProbe();
  private final TestProbe<DeviceEntity.Command> offline = testKit.createTestProbe();
  private final TestProbe<DeviceEntity.Command> silent = testKit.createTestProbe();
  private final ActorRef<MemberQueries.Query> queries = testKit.spawn(MemberQueries.create(
      id -> switch (id) {
        case "online" -> online.getRef();
        case "offline" -> offline.getRef();
        default -> silent.getRef();
      }, Duration.ofMillis(500)));
  private final TestProbe<MemberQueries.GroupMembers> replies = testKit.createTestProbe();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void eachMemberIsMarkedAnsweredOfflineOrTimedOutInTheOrderAsked() {
    queries.tell(new MemberQueries.Query("g1", List.of("offline", "online", "silent"), replies.getRef()));
    online.expectMessageClass(DeviceEntity.GetDevice.class).replyTo().tell(snapshot("online", true));
    offline.expectMessageClass(DeviceEntity.GetDevice.class).replyTo().tell(snapshot("offline", false));
    silent.expectMessageClass(DeviceEntity.GetDevice.class);

    MemberQueries.GroupMembers members = replies.receiveMessage(Duration.ofSeconds(2));
    assertEquals("g1", members.groupId());
    assertEquals(List.of("offline", "online", "silent"),
        members.members().stream().map(MemberQueries.MemberReport::deviceId).toList());
    assertEquals(List.of(MemberStatus.OFFLINE, MemberStatus.ANSWERED, MemberStatus.TIMED_OUT),
        members.members().stream().map(MemberQueries.MemberReport::status).toList());
    assertEquals(false, members.members().get(2).device().isPresent(), "a member that timed out has no state");
  }

  @Test
  void aQueryAnswersAsSoonAsEveryMemberHas() {
    queries.tell(new MemberQueries.Query("g1", List.of("online"), replies.getRef()));
    online.expectMessageClass(DeviceEntity.GetDevice.class).replyTo().tell(snapshot("online", true));

    assertEquals(MemberStatus.ANSWERED,
        replies.receiveMessage(Duration.ofMillis(300)).members().get(0).status(), "well before the timeout");
  }

  @Test
  void anEmptyPageIsAnsweredAtOnce() {
    queries.tell(new MemberQueries.Query("g1", List.of(), replies.getRef()));
    assertEquals(new MemberQueries.GroupMembers("g1", List.of()), replies.receiveMessage(Duration.ofMillis(300)));
  }

  private static DeviceSnapshot snapshot(String id, boolean isOnline) {
    return new DeviceSnapshot(id, true, Map.of(), 1, Map.of(), 0, 0, isOnline, "n", "s", Instant.EPOCH, List.of("g1"));
  }
}

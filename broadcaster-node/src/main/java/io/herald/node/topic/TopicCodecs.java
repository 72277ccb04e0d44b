package io.herald.node.topic;

import io.herald.node.cluster.ClusterCodec;
import io.herald.protocol.cluster.v1.TopicDeliver;
import io.herald.protocol.cluster.v1.TopicHandedOff;
import io.herald.protocol.cluster.v1.TopicHistoryAnswer;
import io.herald.protocol.cluster.v1.TopicMessage;
import io.herald.protocol.cluster.v1.TopicPublish;
import io.herald.protocol.cluster.v1.TopicPublished;
import io.herald.protocol.cluster.v1.TopicPublisherFollowing;
import io.herald.protocol.cluster.v1.TopicReadHistory;
import io.herald.protocol.cluster.v1.TopicRegister;
import io.herald.protocol.cluster.v1.TopicRegistered;
import io.herald.protocol.cluster.v1.TopicReportSubscription;
import io.herald.protocol.cluster.v1.TopicRestore;
import io.herald.protocol.cluster.v1.TopicSubscriptionReport;
import io.herald.protocol.cluster.v1.TopicUnregister;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRefResolver;

/** Protobuf codecs for the messages between {@link TopicEntity} and {@link TopicRegistry}. */
public final class TopicCodecs {

  private TopicCodecs() {}

  public static List<ClusterCodec<?>> all(ActorRefResolver refs) {
    return List.of(
        ClusterCodec.of(TopicEntity.Publish.class, "tp",
            m -> TopicPublish.newBuilder().setPayload(m.payload()).setCorrelationId(m.correlationId())
                .setReplyTo(refs.toSerializationFormat(m.replyTo())).build().toByteArray(),
            bytes -> {
              TopicPublish m = TopicPublish.parseFrom(bytes);
              return new TopicEntity.Publish(m.getPayload(), m.getCorrelationId(), refs.resolveActorRef(m.getReplyTo()));
            }),
        ClusterCodec.of(TopicEntity.Published.class, "tpd",
            m -> TopicPublished.newBuilder().setTopic(m.topic()).setSequence(m.sequence())
                .setCorrelationId(m.correlationId()).build().toByteArray(),
            bytes -> {
              TopicPublished m = TopicPublished.parseFrom(bytes);
              return new TopicEntity.Published(m.getTopic(), m.getSequence(), m.getCorrelationId());
            }),
        ClusterCodec.of(TopicEntity.Register.class, "tr",
            m -> TopicRegister.newBuilder().setRegistry(refs.toSerializationFormat(m.registry()))
                .setLastSequence(m.lastSequence()).build().toByteArray(),
            bytes -> {
              TopicRegister m = TopicRegister.parseFrom(bytes);
              return new TopicEntity.Register(refs.resolveActorRef(m.getRegistry()), m.getLastSequence());
            }),
        ClusterCodec.of(TopicEntity.Unregister.class, "tu",
            m -> TopicUnregister.newBuilder().setRegistry(refs.toSerializationFormat(m.registry())).build().toByteArray(),
            bytes -> new TopicEntity.Unregister(refs.resolveActorRef(TopicUnregister.parseFrom(bytes).getRegistry()))),
        ClusterCodec.of(TopicEntity.SubscriptionReport.class, "tsr",
            m -> TopicSubscriptionReport.newBuilder().setRegistry(refs.toSerializationFormat(m.registry()))
                .setSubscribed(m.subscribed()).setLastSequence(m.lastSequence()).setRestoreComing(m.restoreComing())
                .build().toByteArray(),
            bytes -> {
              TopicSubscriptionReport m = TopicSubscriptionReport.parseFrom(bytes);
              return new TopicEntity.SubscriptionReport(refs.resolveActorRef(m.getRegistry()), m.getSubscribed(),
                  m.getLastSequence(), m.getRestoreComing());
            }),
        ClusterCodec.of(TopicEntity.PublisherFollowing.class, "tpf",
            m -> TopicPublisherFollowing.newBuilder().setRequest(m.request())
                .setPublisher(refs.toSerializationFormat(m.publisher())).build().toByteArray(),
            bytes -> {
              TopicPublisherFollowing m = TopicPublisherFollowing.parseFrom(bytes);
              return new TopicEntity.PublisherFollowing(m.getRequest(), refs.resolveActorRef(m.getPublisher()));
            }),
        ClusterCodec.of(TopicRegistry.Registered.class, "trd",
            m -> TopicRegistered.newBuilder().setTopic(m.topic()).setHome(refs.toSerializationFormat(m.home()))
                .setEpoch(m.epoch()).setSequence(m.sequence()).build().toByteArray(),
            bytes -> {
              TopicRegistered m = TopicRegistered.parseFrom(bytes);
              return new TopicRegistry.Registered(m.getTopic(), refs.resolveActorRef(m.getHome()), m.getEpoch(),
                  m.getSequence());
            }),
        ClusterCodec.of(TopicEntity.ReadHistory.class, "trh",
            m -> TopicReadHistory.newBuilder().setRegistry(refs.toSerializationFormat(m.registry()))
                .setRequest(m.request()).addAllResumeEpochs(m.resumeEpochs()).build().toByteArray(),
            bytes -> {
              TopicReadHistory m = TopicReadHistory.parseFrom(bytes);
              return new TopicEntity.ReadHistory(refs.resolveActorRef(m.getRegistry()), m.getRequest(),
                  Set.copyOf(m.getResumeEpochsList()));
            }),
        ClusterCodec.of(TopicRegistry.History.class, "th",
            m -> TopicHistoryAnswer.newBuilder().setTopic(m.topic()).setRequest(m.request()).setEpoch(m.epoch())
                .setSequence(m.sequence()).addAllMessages(toWire(m.kept())).build().toByteArray(),
            bytes -> {
              TopicHistoryAnswer m = TopicHistoryAnswer.parseFrom(bytes);
              return new TopicRegistry.History(m.getTopic(), m.getRequest(), m.getEpoch(), m.getSequence(),
                  fromWire(m.getMessagesList()));
            }),
        ClusterCodec.of(TopicEntity.Restore.class, "tre",
            m -> TopicRestore.newBuilder().setEpoch(m.epoch()).setSequence(m.sequence())
                .addAllMessages(toWire(m.kept())).build().toByteArray(),
            bytes -> {
              TopicRestore m = TopicRestore.parseFrom(bytes);
              return new TopicEntity.Restore(m.getEpoch(), m.getSequence(), fromWire(m.getMessagesList()));
            }),
        ClusterCodec.of(TopicRegistry.ReportSubscription.class, "trs",
            m -> TopicReportSubscription.newBuilder().setTopic(m.topic())
                .setReplyTo(refs.toSerializationFormat(m.replyTo())).build().toByteArray(),
            bytes -> {
              TopicReportSubscription m = TopicReportSubscription.parseFrom(bytes);
              return new TopicRegistry.ReportSubscription(m.getTopic(), refs.resolveActorRef(m.getReplyTo()));
            }),
        ClusterCodec.of(TopicRegistry.Deliver.class, "tdl",
            m -> TopicDeliver.newBuilder().setTopic(m.topic()).addAllMessages(toWire(m.messages())).build()
                .toByteArray(),
            bytes -> {
              TopicDeliver wire = TopicDeliver.parseFrom(bytes);
              return new TopicRegistry.Deliver(wire.getTopic(), fromWire(wire.getMessagesList()));
            }),
        ClusterCodec.of(TopicRegistry.HandedOff.class, "tho",
            m -> TopicHandedOff.newBuilder().setTopic(m.topic()).setSequence(m.sequence()).build().toByteArray(),
            bytes -> {
              TopicHandedOff m = TopicHandedOff.parseFrom(bytes);
              return new TopicRegistry.HandedOff(m.getTopic(), m.getSequence());
            }));
  }

  private static List<TopicMessage> toWire(List<TopicEntity.Message> messages) {
    List<TopicMessage> wire = new ArrayList<>(messages.size());
    for (TopicEntity.Message message : messages) {
      wire.add(TopicMessage.newBuilder().setSequence(message.sequence()).setPayload(message.payload())
          .setPublishedAtMillis(message.publishedAtMillis()).build());
    }
    return wire;
  }

  private static List<TopicEntity.Message> fromWire(List<TopicMessage> wire) {
    return wire.stream()
        .map(m -> new TopicEntity.Message(m.getSequence(), m.getPayload(), m.getPublishedAtMillis()))
        .toList();
  }
}

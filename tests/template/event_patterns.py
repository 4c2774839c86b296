"""Every sample in events/ that a function acts on matches that function's
EventBridge rules in template.yaml and no other function's; every other sample
matches no rule at all.

The pattern semantics (arrays, $or, wildcard, suffix, exists) are LocalStack's
port of AWS Event Ruler, the engine behind EventBridge, not code of ours. The
template is read with cfn-lint's decoder, so short-form tags (!Ref, !If, ...)
are understood. Run by `make template-checks` (part of `make test`) with the
project's virtualenv; it reads files only and talks to no network.
"""

import json
import pathlib
import unittest

from cfnlint.decode import cfn_yaml
from localstack.services.events.event_rule_engine import (
    EventPatternCompiler,
    EventRuleEngine,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]

# The samples each function acts on (events/acted-on.json, checked against the
# normaliser by shared/core/tests/events.rs).
ACTED_ON = {
    function: set(files)
    for function, files in json.loads((ROOT / "events" / "acted-on.json").read_text()).items()
    if not function.startswith("_")
}

# The sources a function may be triggered by, as the template names its rules.
SOURCES = {"Config", "GuardDuty", "SecurityHub", "SecurityHubV2", "CloudTrail", "CustomAction"}

# The pseudo parameters of the account and region the samples come from, for
# patterns that name a resource of the stack (a custom action's ARN).
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012"}


def resolved(node):
    """A pattern with its !Sub strings resolved as CloudFormation would, in
    the samples' account and region."""
    if isinstance(node, dict):
        if set(node) == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str):
            text = node["Fn::Sub"]
            for name, value in PSEUDO.items():
                text = text.replace("${" + name + "}", value)
            return text
        return {k: resolved(v) for k, v in node.items()}
    if isinstance(node, list):
        return [resolved(v) for v in node]
    return node


# Native sources whose events member accounts may forward to the hub bus:
# each has a `Hub<Source>` twin on that bus.
FORWARDED = {"Config", "GuardDuty", "CloudTrail"}


def load_rules(bus="default"):
    """{function name: {event name: properties}} from template.yaml: the
    rules on the default bus, or with bus="hub" the twins on the hub bus."""
    template = cfn_yaml.load(str(ROOT / "template.yaml"))
    rules = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        name = resource["Metadata"]["BuildProperties"]["Binary"]
        rules[name] = {
            event: spec["Properties"]
            for event, spec in resource["Properties"].get("Events", {}).items()
            if spec["Type"] == "EventBridgeRule" and (("EventBusName" in spec["Properties"]) == (bus == "hub"))
        }
    return rules


def samples():
    """(relative path, parsed JSON or None when not JSON) of every sample."""
    for path in sorted((ROOT / "events").glob("*/*.json")):
        text = path.read_text()
        try:
            event = json.loads(text)
        except ValueError:
            event = None
        yield f"{path.parent.name}/{path.name}", event


def expected_functions(sample):
    return {function for function, files in ACTED_ON.items() if sample in files}


class EventPatterns(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rules = load_rules()
        compiler = EventPatternCompiler()
        cls.compiled = {
            function: {
                event: compiler.compile_event_pattern(resolved(props["Pattern"]))
                for event, props in events.items()
            }
            for function, events in cls.rules.items()
        }
        cls.engine = EventRuleEngine()

    def matching(self, event):
        """{function: [events whose pattern matches]} for one sample."""
        found = {}
        if not isinstance(event, dict):
            return found
        for function, patterns in self.compiled.items():
            hits = [
                name
                for name, pattern in patterns.items()
                if self.engine.evaluate_pattern_on_event(pattern, event)
            ]
            if hits:
                found[function] = hits
        return found

    def test_the_template_has_exactly_the_functions_of_the_manifest(self):
        self.assertEqual(set(self.rules), set(ACTED_ON))

    def test_every_trigger_has_a_rule_with_retries_and_a_dead_letter_queue(self):
        for function, rules in self.rules.items():
            self.assertTrue(rules, f"{function} has no rule")
            self.assertLessEqual(set(rules), SOURCES, function)
            for event, props in rules.items():
                where = f"{function}/{event}"
                self.assertIn("MaximumRetryAttempts", props.get("RetryPolicy", {}), where)
                self.assertIn("Arn", props.get("DeadLetterConfig", {}), where)
                self.assertIn("State", props, where)

    def test_each_sample_reaches_exactly_the_functions_that_act_on_it(self):
        seen = 0
        for sample, event in samples():
            with self.subTest(sample=sample):
                got = self.matching(event)
                self.assertEqual(set(got), expected_functions(sample), f"{sample}: {got}")
                for function, hits in got.items():
                    self.assertEqual(len(hits), 1, f"{sample} matches several rules of {function}: {hits}")
            seen += 1
        self.assertGreaterEqual(seen, 37)

    def test_every_trigger_rule_is_exercised_by_a_sample(self):
        used = set()
        for _, event in samples():
            for function, hits in self.matching(event).items():
                used.update((function, hit) for hit in hits)
        for function, rules in self.rules.items():
            for trigger in rules:
                self.assertIn((function, trigger), used, f"no sample reaches {function}/{trigger}")

    def test_each_forwarded_trigger_listens_on_the_hub_bus_with_the_same_pattern(self):
        hub = load_rules("hub")
        for function, rules in self.rules.items():
            twins = {f"Hub{event}" for event in rules if event in FORWARDED}
            self.assertEqual(set(hub[function]), twins, function)
            for event in rules:
                if event not in FORWARDED:
                    continue
                twin = hub[function][f"Hub{event}"]
                where = f"{function}/Hub{event}"
                self.assertEqual(twin["Pattern"], rules[event]["Pattern"], where)
                # On the hub bus only when there is one; a disabled rule otherwise.
                self.assertEqual(
                    twin["EventBusName"],
                    {"Fn::If": ["UsesHubBus", {"Ref": "HubEventBus"}, "default"]},
                    where,
                )
                self.assertEqual(twin["State"], {"Fn::If": [f"Hub{event}", "ENABLED", "DISABLED"]}, where)
                self.assertEqual(twin["RetryPolicy"], rules[event]["RetryPolicy"], where)
                self.assertEqual(twin["DeadLetterConfig"], rules[event]["DeadLetterConfig"], where)

    def test_a_member_forwards_every_native_event_a_function_acts_on(self):
        """member.yaml's forwarding rule lets through every acted-on sample
        that a Hub* rule would receive (Config, GuardDuty, CloudTrail), and
        nothing from Security Hub, whose aggregation carries it already."""
        member = cfn_yaml.load(str(ROOT / "member.yaml"))
        forward = EventPatternCompiler().compile_event_pattern(
            member["Resources"]["ForwardToHub"]["Properties"]["EventPattern"]
        )
        hub = load_rules("hub")
        compiled_hub = {
            function: [EventPatternCompiler().compile_event_pattern(resolved(p["Pattern"])) for p in rules.values()]
            for function, rules in hub.items()
        }
        checked = 0
        for sample, event in samples():
            if not isinstance(event, dict) or not expected_functions(sample):
                continue
            reaches_hub_rule = any(
                self.engine.evaluate_pattern_on_event(p, event)
                for patterns in compiled_hub.values()
                for p in patterns
            )
            with self.subTest(sample=sample):
                if reaches_hub_rule:
                    self.assertTrue(self.engine.evaluate_pattern_on_event(forward, event), f"{sample} is not forwarded")
                    checked += 1
                if event.get("source") == "aws.securityhub":
                    self.assertFalse(self.engine.evaluate_pattern_on_event(forward, event), f"{sample} is forwarded")
        self.assertGreaterEqual(checked, 15)


if __name__ == "__main__":
    unittest.main()

"""The one CloudFormation resolver (local_aws/harness/template.py) on the intrinsic functions the synthesized template
does not happen to exercise today: Fn::Sub with its variable map and literal "${!...}", Fn::Select over Fn::Split, and
the placeholder rendering that keeps them as written."""

from __future__ import annotations

from local_aws.harness.template import physical, placeholders, pseudo_parameters

REFS = {"Queue": "https://sqs.local/123/q", "Fn": "reset", **pseudo_parameters(region="eu-west-1", account_id="1")}
ATTRIBUTES = {("Fn", "Arn"): "arn:aws:lambda:eu-west-1:1:function:reset"}


def test_sub_resolves_its_own_variables_before_references_and_keeps_literals() -> None:
    resolver = physical(REFS, ATTRIBUTES)
    value = {"Fn::Sub": ["${Name} in ${AWS::Region} calls ${Fn.Arn}, not ${!Fn}", {"Name": {"Ref": "Fn"}}]}

    assert resolver.resolve(value) == "reset in eu-west-1 calls arn:aws:lambda:eu-west-1:1:function:reset, not ${Fn}"


def test_select_picks_from_a_split_reference() -> None:
    resolver = physical(REFS, ATTRIBUTES)

    assert resolver.resolve({"Fn::Select": ["3", {"Fn::Split": ["/", {"Ref": "Queue"}]}]}) == "123"


def test_placeholders_render_references_and_joins_and_keep_the_rest_as_written() -> None:
    resolver = placeholders()
    split = {"Fn::Split": ["/", {"Ref": "Queue"}]}

    assert resolver.resolve({"Fn::Join": ["", [{"Ref": "Fn"}, ":", {"Fn::GetAtt": ["Fn", "Arn"]}]]}) == (
        "${Fn}:${Fn.Arn}"
    )
    assert resolver.resolve({"Fn::Select": ["3", split]}) == {"Fn::Select": ["3", {"Fn::Split": ["/", "${Queue}"]}]}

"""Row serialization: the exact text a language model reads."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llmboost._params import InvalidParameterError
from llmboost.priors import LLMPrior
from llmboost.priors._serialize import (
    DEFAULT_TEMPLATE,
    RowSerializer,
    dedupe,
    default_class_names,
    default_task_description,
    feature_lines,
    format_column_name,
    format_value,
    options_line,
    serialize,
)


@pytest.mark.parametrize(
    "value, text",
    [
        (40, "40"),
        (40.0, "40"),
        (np.int64(7), "7"),
        (np.float32(2.5), "2.5"),
        (-0.0, "0"),
        (3.14159, "3.142"),
        (12.3456, "12.35"),
        (1234.5678, "1234.57"),
        (0.5, "0.5"),
        (0.123456, "0.1235"),
        (0.000123456, "0.0001235"),
        (1.999999, "2"),
        (-1.5, "-1.5"),
        (1e-7, "1e-07"),
        (123456789.0, "123456789"),
        (1e15, "1000000000000000"),  # whole numbers of 1e15 or more were "1e+15"
        (-12345678901234568.0, "-12345678901234568"),  # was "-1.235e+16"
        (3e20, "300000000000000000000"),
        (-(2.0**60), "-1152921504606847000"),  # was "-1152921504606846976": repr's digits
        (2.0**53, "9007199254740992"),  # was "9007199254740992.0" (repr's form below 1e16)
        (-9007199254740994.0, "-9007199254740994"),
        (1e23, "1e+23"),  # was "99999999999999991611392"
        (1e300, "1e+300"),  # was 301 digits
        (1234567890123456.5, "1234567890123456.5"),  # was "1.235e+15"
        (True, "yes"),
        (np.bool_(False), "no"),
        ("ATA", "ATA"),
        ("two\nlines", "two lines"),
        ("line\u2028separator\x0bvertical tab", "line separator vertical tab"),
        (None, None),
        (np.nan, None),
        (pd.NA, None),
        ("", None),
        ("   ", None),  # whitespace-only text was written as a line "a:    "
        ("\n", None),  # was "a: "
        (" \t\u2028", None),
        (" ATA ", "ATA"),  # was " ATA ": the line "a:  ATA "
        ("\tM\n", "M"),  # was "\tM"
        ("  two\nlines ", "two lines"),
        ("cafe\u0301", "caf\u00e9"),  # was written as typed, the label composed
        ("Nan", "Nan"),  # a first name, not a missing value (it was dropped)
        ("NaN", "NaN"),
        (np.datetime64("NaT"), None),
        (np.timedelta64("NaT"), None),
        (np.timedelta64(2, "h"), "2 hours"),  # not its count of hours as a number
        (np.datetime64("2020-01-02"), "2020-01-02"),
    ],
)
def test_format_value(value, text):
    assert format_value(value) == text


def test_a_whole_number_of_16_digits_is_written_whole_in_the_row():
    X = pd.DataFrame({"account": np.array([12345678901234568, 7], dtype=np.int64)})
    # read as floats, as every prior reads numbers; was "account: 1.235e+16"
    assert serialize(X, template="{row}") == ["account: 12345678901234568", "account: 7"]


def test_column_names_lose_underscores():
    assert format_column_name("ST_Slope") == "ST Slope"
    assert format_column_name("resting__bp_") == "resting bp"
    assert format_column_name(3) == "3"
    # a name made only of underscores vanished: the line ': 1', the task sentence
    # '... you must predict the value of .'
    assert format_column_name("__") == "__"
    assert feature_lines(pd.DataFrame({"_": [1], "b": [2]})) == ["_: 1\nb: 2"]
    assert default_task_description("_").endswith("predict the value of _.")


def test_whitespace_only_cells_are_missing_as_empty_ones():
    """A cell "   " gave the line "a:    " (and "{a}" the spaces); "" gave no line."""
    X = pd.DataFrame({"a": ["x", "", "   ", "\n"], "b": [1, 2, 3, 4]})
    assert feature_lines(X) == ["a: x\nb: 1", "b: 2", "b: 3", "b: 4"]
    texts = serialize(X, classes=[0, 1], template="{a}|{b}")
    assert texts == ["x|1", "|2", "|3", "|4"]
    spaces = pd.DataFrame({"c": pd.Categorical(["  ", "y"])})
    assert feature_lines(spaces) == ["", "c: y"]


def test_cells_are_written_without_the_spaces_at_their_ends():
    X = pd.DataFrame({"sex": [" M", "F "], "pain": pd.Categorical(["ATA\t", " NAP"])})
    assert feature_lines(X) == ["sex: M\npain: ATA", "sex: F\npain: NAP"]  # was "sex:  M"
    assert serialize(X, template="{sex}|{pain}") == ["M|ATA", "F|NAP"]


def test_row_text_exactly():
    X = pd.DataFrame(
        {
            "age": [40.0, 51.0],
            "chest_pain": pd.Categorical(["ATA", None]),
            "oldpeak": [0.0, 1.25],
            "chol": [np.nan, 289.123],
        }
    )
    texts = serialize(
        X,
        task_description="Does the patient have heart disease?",
        class_names={"no": "no", "yes": "yes"},
        classes=["no", "yes"],
    )
    assert texts == [
        "Does the patient have heart disease?\n"
        "age: 40\n"
        "chest pain: ATA\n"
        "oldpeak: 0\n"
        "Answer with one of the following: no | yes.",
        "Does the patient have heart disease?\n"
        "age: 51\n"
        "oldpeak: 1.25\n"
        "chol: 289.12\n"
        "Answer with one of the following: no | yes.",
    ]


def test_feature_lines_drop_missing_and_keep_column_order():
    X = pd.DataFrame({"b_x": [1.0, np.nan], "a": ["u", "v"]})
    assert feature_lines(X) == ["b x: 1\na: u", "a: v"]
    assert feature_lines(X[[]]) == ["", ""]  # one text per row, also without columns
    assert RowSerializer("T", ["no"])(X[[]]) == ["T\n\nAnswer with one of the following: no."] * 2


def test_paper_serialization_example():
    folder = Path("/work/shared/datasets/heart")
    if not folder.is_dir():
        pytest.skip("shared datasets not available")
    meta = json.loads((folder / "meta.json").read_text())
    row = pd.read_csv(folder / "train.csv").drop(columns=["y_temp"]).iloc[:1]
    row = row.astype({c: "category" for c in meta["categorical_columns"]})
    assert feature_lines(row)[0] + "\n" == meta["serialization_example"]
    assert options_line(meta["class_names"]) == meta["class_text"]


def test_default_class_names():
    assert default_class_names([0, 1]) == {0: "no", 1: "yes"}
    assert default_class_names([False, True]) == {False: "no", True: "yes"}
    assert default_class_names([1.0, 2.0, 3.0]) == {1.0: "1", 2.0: "2", 3.0: "3"}
    assert default_class_names(["very_good", "bad"]) == {"very_good": "very good", "bad": "bad"}


def test_default_task_description_names_the_target():
    assert default_task_description("heart_disease").endswith("value of heart disease.")
    assert "correct class" in default_task_description(None)
    # a name of invisible characters only (a byte order mark) is written as no name:
    # the sentence read '... you must predict the value of .'
    assert default_task_description("\ufeff") == default_task_description(None)
    assert default_task_description("\u200b \u2060") == default_task_description(None)


def test_format_string_template_fields():
    X = pd.DataFrame({"age": [40.0], "sex": ["M"], "bp": [np.nan]})
    ser = RowSerializer(
        "Predict.", ["no", "yes"], "{task} Age {age}, sex {sex}, bp {bp}. {classes}? {options}"
    )
    assert ser(X) == [
        "Predict. Age 40, sex M, bp . no | yes? Answer with one of the following: no | yes."
    ]
    assert RowSerializer("T", ["a", "b"])(X) == [
        DEFAULT_TEMPLATE.format(
            task="T", row="age: 40\nsex: M", options="Answer with one of the following: a | b."
        )
    ]


def test_format_string_template_names_columns_that_look_like_indices():
    X = pd.DataFrame({"0": [1.5], "a.b": [2.0], "c[d]": ["x"]})
    ser = RowSerializer("T", ["no"], "{0}, {a.b}, {c[d]:>3} ({task})")
    assert ser(X) == ["1.5, 2,   x (T)"]


def test_format_string_template_names_columns_that_are_not_text():
    X = pd.DataFrame({0: [1.5], 1: ["x"]})  # a frame made from an array
    ser = RowSerializer("T", ["no"], "{0}, {1} ({task})")
    ser.check(X.columns)  # accepted here: filled below, not an IndexError
    assert ser(X) == ["1.5, x (T)"]


def test_callable_template_gets_raw_row():
    X = pd.DataFrame({"age": [40.0], "sex": pd.Categorical(["M"]), "bp": [np.nan]})
    seen = []

    def template(row: dict) -> str:
        seen.append(row)
        return f"{row['sex']} aged {row['age']:.0f}"

    assert RowSerializer("T", ["a"], template)(X) == ["M aged 40"]
    assert seen == [{"age": 40.0, "sex": "M", "bp": None}]


def test_callable_template_gets_whole_numbers_as_ints():
    # every prior reads integers as floats: "age 40.0 years" where the column held 40
    X = pd.DataFrame({"age": [40, 61], "x": [1.5, np.nan], "big": [2.0**60, 3.0]})
    seen = []

    def template(row: dict) -> str:
        seen.append(row)
        return f"{row['age']} years, x={row['x']}"

    assert serialize(X, template=template) == ["40 years, x=1.5", "61 years, x=None"]
    assert [type(r["age"]) for r in seen] == [int, int]
    assert type(seen[0]["x"]) is float and seen[1]["x"] is None
    # past 2**53 a float's digits are rounding: kept as the float
    assert type(seen[0]["big"]) is float and seen[1]["big"] == 3 and type(seen[1]["big"]) is int


def test_template_errors():
    X = pd.DataFrame({"age": [1.0]})
    # a KeyError, shown as a quoted repr, where check() says the same as a ValueError
    with pytest.raises(ValueError, match=r"field 'height' is neither task, row, classes"):
        RowSerializer("T", ["a"], "{height}")(X)
    with pytest.raises(TypeError):
        RowSerializer("T", ["a"], 3)
    with pytest.raises(TypeError, match="return str"):
        RowSerializer("T", ["a"], lambda row: 1)(X)


@pytest.mark.parametrize(
    "columns, message",
    [
        ([" ", "a"], r"X's column ' ' has no name to write in the row text"),
        (["a", "\n"], r"X's column '\\n' has no name"),
        (["a_b", "a b"], r"X's columns 'a_b' and 'a b' are both written 'a b' in the row text"),
        (["Age", "Age "], r"columns 'Age' and 'Age ' are both written 'Age'"),
        # "é" composed and as "e" + accent read alike, but were two distinct headers
        (
            ["caf\u00e9", "cafe\u0301"],
            "columns 'caf\u00e9' and 'cafe\u0301' are both written 'caf\u00e9'",
        ),
        # "Answer: 1" among the feature lines read as the answer line of plain prompts
        (
            ["Answer", "a"],
            r"X's column 'Answer' is written 'Answer' in the row text: its line "
            r"'Answer: \.\.\.' reads as the prompt's answer line; rename the column, e\.g\. "
            r"X\.rename\(columns=\{'Answer': 'answer given'\}\)\.$",
        ),
        (["a", "ANSWER_"], r"X's column 'ANSWER_' is written 'ANSWER' in the row text"),
    ],
)
def test_columns_whose_lines_the_model_cannot_tell_apart_are_refused(columns, message):
    """A column named " " wrote the line ": 1", and "a_b" beside "a b" two lines
    "a b: ..."; serialize and fit now refuse them."""
    X = pd.DataFrame([[1, 2]], columns=columns)
    with pytest.raises(ValueError, match=message):
        serialize(X, classes=[0, 1])
    with pytest.raises(ValueError, match=message):
        RowSerializer("T", ["a"], "{task}\n{row}").check(X.columns)
    # a template without {row} writes no column name: nothing to tell apart
    named = next(c for c in columns if c.strip())
    RowSerializer("T", ["a"], f"{{task}} {{{named}}}").check(X.columns)
    RowSerializer("T", ["a"], lambda row: "text").check(X.columns)


def test_a_template_field_that_is_also_a_column_is_refused():
    # {task} was filled with the task sentence: the column 'task' never reached the model
    X = pd.DataFrame({"task": ["fix roof"], "hours": [3.0]})
    serializer = RowSerializer("Will it be late?", ["no", "yes"], "{task} took {hours} h")
    with pytest.raises(ValueError, match=r"\{task\} is the built-in field \(the task sentence\)"):
        serializer.check(X.columns)
    with pytest.raises(ValueError, match="column 'task' cannot be reached by name; rename"):
        serializer(X)
    # the default template writes every column by name, so a column 'task' is fine there
    assert "task: fix roof" in RowSerializer("Will it be late?", ["no", "yes"])(X)[0]


def test_dedupe():
    unique, inverse = dedupe(["b", "a", "b", "c", "a"])
    assert unique == ["b", "a", "c"]
    assert inverse.tolist() == [0, 1, 0, 2, 1]
    assert [unique[i] for i in inverse] == ["b", "a", "b", "c", "a"]


def test_serialize_writes_the_table_as_the_language_model_prior_reads_it():
    # LLMPrior reads X through to_frame: booleans are numbers, a float category is text
    X = pd.DataFrame({"smoker": [True, False], "grade": pd.Categorical([2.0, 1.0])})
    texts = serialize(X, task_description="Sick?", classes=[0, 1], class_names={1: "sick"})
    assert texts == [
        "Sick?\nsmoker: 1\ngrade: 2.0\nAnswer with one of the following: no | sick.",
        "Sick?\nsmoker: 0\ngrade: 1.0\nAnswer with one of the following: no | sick.",
    ]  # a label left out of class_names gets its default answer, as in LLMPrior
    # class names LLMPrior refuses are refused here too, not written out
    with pytest.raises(ValueError, match=r"class_names has labels not in y: \[5\]"):
        serialize(X, classes=[0, 1], class_names={5: "x"})  # was '... no | yes | x.'
    with pytest.raises(ValueError, match="labels 0 and 1 have the same verbalizer .yes."):
        serialize(X, classes=[0, 1], class_names={0: "yes"})  # was '... yes | yes.'
    with pytest.raises(ValueError, match="lists 2 answers for 3 classes"):
        serialize(X, classes=[0, 1, 2], class_names=["a", "b"])
    # answers listed in the order of classes are refused as LLMPrior refuses them
    with pytest.raises(ValueError, match="labels 0 and 1 have the same verbalizer 'yes'"):
        serialize(X, classes=[0, 1], class_names=["yes", "yes"])  # was '... yes | yes.'
    with pytest.raises(ValueError, match="verbalizer of label 1 is empty"):
        serialize(X, classes=[0, 1], class_names=["no", " "])  # was '... no |  .'
    with pytest.raises(ValueError, match=r"class_names\[1\] is 2, not a text"):
        serialize(X, classes=[0, 1], class_names=["no", 2])  # was TypeError from join
    assert serialize(X, classes=[0, 1], class_names=["fine", "sick"])[0].endswith("fine | sick.")
    # classes as a NumPy array (a classifier's classes_): 'class_names[np.int64(1)] is 2'
    with pytest.raises(
        ValueError, match=r"class_names\[1\] is 2, not a text; .* e.g. \{1: 'yes'\}"
    ):
        serialize(X, classes=np.array([0, 1]), class_names=["no", 2])
    with pytest.raises(ValueError, match=r"class_names\['b'\] is 2, not a text"):
        serialize(X, classes=np.array(["a", "b"]), class_names={np.str_("b"): 2})
    # one text was read as a list of its letters: '... Answer with one of the following: n | o.'
    with pytest.raises(TypeError, match=r"class_names='no' is one text; give a dict"):
        serialize(X, class_names="no")
    with pytest.raises(TypeError, match=r"class_names='ab' is one text"):
        serialize(X, classes=[0, 1], class_names="ab")  # was '... a | b.'
    # no answers to write: an options line listing none was written out
    with pytest.raises(ValueError, match=r"writes \{options\}, the answers, but no classes="):
        serialize(X)  # was '... Answer with one of the following: .'
    assert serialize(X, template="{task} {grade}") == [
        "Given the following data, you must predict the correct class. 2.0",
        "Given the following data, you must predict the correct class. 1.0",
    ]


def test_serialize_refuses_the_templates_that_fit_refuses():
    # serialize is the way to check a template before fitting: it gave Python's own
    # errors, or wrote every row the same prompt, where LLMPrior.fit refuses clearly
    X = pd.DataFrame({"age": [40, 61], "sex": ["M", "F"]})
    with pytest.raises(ValueError, match=r"drop number formats such as ':.1f'"):
        serialize(X, classes=[0, 1], template="{row} {age:.1f}")  # was: Unknown format code
    with pytest.raises(ValueError, match=r"template='\{row\} \{' is not a format string"):
        serialize(X, classes=[0, 1], template="{row} {")  # was: Single '{' encountered
    with pytest.raises(ValueError, match=r"writes neither \{row\} nor a column"):
        serialize(X, classes=[0, 1], template="{task} {options}")  # was: two equal texts


@pytest.mark.parametrize("task", ["", "  \n", 3])
def test_serialize_refuses_the_task_descriptions_the_prior_refuses(task):
    # serialize wrote '\na: 1\n...' for "" (a prompt starting with an empty line)
    # where LLMPrior(task_description="") is refused
    X = pd.DataFrame({"a": [1]})
    message = r"task_description must be a task sentence \(not empty\) or None, got "
    with pytest.raises(
        InvalidParameterError, match=rf"^serialize: {message}{re.escape(repr(task))}\.$"
    ):
        serialize(X, task_description=task, classes=[0, 1])
    with pytest.raises(InvalidParameterError, match=rf"^LLMPrior: {message}"):
        LLMPrior(task_description=task).fit(X, [0, 1])


def test_text_with_a_combining_accent_is_written_composed_in_cells_and_answers():
    # the label "cafe" + U+0301 was answered "café" (composed, NFC) but the same value in a
    # cell was written as typed: two texts the model reads differently for one value
    decomposed, composed = "cafe\u0301", "caf\u00e9"
    X = pd.DataFrame({"drink": [decomposed, "tea"]})
    texts = serialize(X, classes=[decomposed, "tea"], template="{row}|{drink}|{classes}")
    assert texts == [
        f"drink: {composed}|{composed}|{composed} | tea",
        f"drink: tea|tea|{composed} | tea",
    ]
    # a verbalizer given in class_names is written as the cells are
    given = serialize(
        X, classes=[0, 1], class_names=[decomposed, "tea"], template="{drink}|{classes}"
    )
    assert given[0] == f"{composed}|{composed} | tea"
    with pytest.raises(ValueError, match="labels 0 and 1 have the same verbalizer"):
        serialize(X, classes=[0, 1], class_names=[composed, decomposed])  # they read alike


def test_a_row_of_ordinary_values_keeps_its_prompt_byte_for_byte():
    # scores on disk are kept by prompt text: a row of plain or composed text and
    # numbers must keep the exact text it had, or its cached scores are never served
    X = pd.DataFrame(
        {
            "city": ["Z\u00fcrich"],
            "drink_name": pd.Categorical(["caf\u00e9 cr\u00e8me"]),
            "age": [40.0],
            "ratio": [0.123456],
            "note": ["  two\nlines "],
        }
    )
    texts = serialize(X, classes=["no", "s\u00ed"], task_description="Will they return?")
    expected = (
        "Will they return?\ncity: Z\u00fcrich\ndrink name: caf\u00e9 cr\u00e8me\nage: 40\n"
        "ratio: 0.1235\nnote: two lines\nAnswer with one of the following: no | s\u00ed."
    )
    assert texts == [expected]
    assert texts[0].encode() == expected.encode()


@pytest.mark.parametrize(
    "column, header",
    [
        ("answer_with_one_of_the_following", "answer with one of the following"),
        ("ANSWER WITH ONE OF THE FOLLOWING", "ANSWER WITH ONE OF THE FOLLOWING"),
        ("Answer with one of the following choices", "Answer with one of the following choices"),
        ("Answer: yes", "Answer: yes"),
    ],
)
def test_a_column_whose_line_reads_as_a_prompt_line_is_refused(column, header):
    # 'answer with one of the following: no | yes' was written among the feature lines,
    # above the real options line, and 'Answer: yes: 1' where plain prompts end 'Answer:'
    X = pd.DataFrame({column: ["no | yes"], "a": [1]})
    line = "answer line" if column.startswith("Answer:") else "options line 'Answer with one"
    message = (
        rf"X's column {re.escape(repr(column))} is written {re.escape(repr(header))} in the row "
        rf"text: its line '{re.escape(header)}: \.\.\.' reads as the prompt's {line}"
    )
    with pytest.raises(ValueError, match=message):
        serialize(X, classes=[0, 1])
    # a name that only starts with the word is a feature like any other
    assert serialize(X.rename(columns={column: "answered"}), template="{row}")[0] == (
        "answered: no | yes\na: 1"
    )


def test_invisible_characters_are_dropped_from_names_and_refused_in_answers():
    # a CSV's byte order mark wrote '\ufeffage: 40', and 'a' + U+200B beside 'a' two
    # lines that look alike; labels 'yes' and 'ye' + U+2060 + 's' two answers that did
    X = pd.DataFrame({"\ufeffage": [40], "sex": ["M\u200b"]})
    texts = serialize(X, classes=[0, 1], target_name="\u200bdisease")
    assert texts == [
        "Given the following data, you must predict the value of disease.\nage: 40\n"
        "sex: M\u200b\nAnswer with one of the following: no | yes."
    ]  # a cell keeps what it holds
    with pytest.raises(ValueError, match=r"columns 'a' and 'a\\u200b' are both written 'a'"):
        serialize(pd.DataFrame([[1, 2]], columns=["a", "a\u200b"]), classes=[0, 1])
    with pytest.raises(ValueError, match=r"column 'answer\\u2060' is written 'answer'"):
        serialize(pd.DataFrame({"answer\u2060": [1]}), classes=[0, 1])
    with pytest.raises(ValueError, match=r"labels 'yes' and 'ye\\u2060s' have the same verbalizer"):
        serialize(X, classes=["yes", "ye\u2060s"])  # default answers are written as names
    message = (
        r"the verbalizer of label 1 is 'ye\\u200bs', holding the invisible character U\+200B: "
        r"in the options line it looks like the same text without it; give "
        r"class_names=\{1: 'yes'\}\.$"
    )
    with pytest.raises(ValueError, match=message):
        serialize(X, classes=[0, 1], class_names=["no", "ye\u200bs"])
    with pytest.raises(ValueError, match=r"label 0 is '\\ufeff', holding .*=\{0: 'some text'\}"):
        serialize(X, classes=[0, 1], class_names={0: "\ufeff"})
    # the text suggested is one the prior takes (it suggested ' ' and ' yes ')
    with pytest.raises(ValueError, match=r"give class_names=\{0: 'some text'\}\.$"):
        serialize(X, classes=[0, 1], class_names={0: " \u200b"})
    with pytest.raises(ValueError, match=r"give class_names=\{1: 'yes'\}\.$"):
        serialize(X, classes=[0, 1], class_names={1: " ye\u200bs "})
    # the joiners that shape letters and emoji are kept
    assert format_column_name("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645") == (
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    )


def test_the_default_verbalizers_are_as_the_docs_say():
    # the docs said "0/1 labels become no/yes": text labels "0"/"1" (y read from a CSV as
    # text) are answered "0"/"1", and so are 0 and 1 beside a third class
    assert default_class_names(["0", "1"]) == {"0": "0", "1": "1"}
    assert default_class_names([0, 1, 2]) == {0: "0", 1: "1", 2: "2"}
    assert default_class_names([0.0, 1.0]) == {0.0: "no", 1.0: "yes"}
    docs = Path(__file__).resolve().parents[1] / "docs" / "llmboost.md"
    text = " ".join(docs.read_text().split())
    assert 'Text labels `"0"` and `"1"` keep their text' in text
    assert "with three or more classes" in text


@pytest.mark.parametrize(
    "column, template, what",
    [("ratio:x", "{ratio:x}", "':' starts a format spec"), ("a!r", "{a!r}", "'!' a conversion")],
)
def test_a_column_a_format_string_cannot_name_is_named_in_the_error(column, template, what):
    # the error said "field 'ratio' is neither ... nor a column of X (['ratio:x'])": the
    # column is there, but a format string reads '{ratio:x}' as field 'ratio', spec 'x'
    X = pd.DataFrame({column: [1.5], "b": [2]})
    message = (
        rf"field {re.escape(repr(column[:-2]))} is neither .*; X's column "
        rf"{re.escape(repr(column))} cannot be named in a format string \({what}\): "
        rf"rename it, e\.g\. X\.rename\(columns=\{{{re.escape(repr(column))}: "
    )
    with pytest.raises(ValueError, match=message):
        serialize(X, classes=[0, 1], template=template)
    renamed = column.replace(":", " ").replace("!", " ")
    assert serialize(X.rename(columns={column: renamed}), template=f"{{{renamed}}}") == ["1.5"]


def test_class_names_without_classes_are_checked_and_ordered_as_the_prior_would():
    # without classes=, class_names were written unchecked: 'yes | yes', a line break
    # inside the options line, a bare TypeError 'sequence item 0: expected str instance'
    X = pd.DataFrame({"a": [1]})
    with pytest.raises(ValueError, match="labels 0 and 1 have the same verbalizer 'yes'"):
        serialize(X, class_names={0: "yes", 1: "yes"})  # was '... yes | yes.'
    with pytest.raises(ValueError, match=r"class_names\[0\] is 1, not a text"):
        serialize(X, class_names={0: 1})
    with pytest.raises(ValueError, match=r"class_names\[1\] is 2, not a text"):
        serialize(X, class_names=["no", 2])  # a list: its positions
    with pytest.raises(ValueError, match=r"verbalizer of label 1 is 'no\\nway', with a line break"):
        serialize(X, class_names=["yes", "no\nway"])
    # the prior's classes are np.unique(y): sorted, so its options line lists them sorted
    texts = serialize(X, class_names={"b": "bad", "a": "good"}, template="{a} {classes}")
    assert texts == ["1 good | bad"]  # was '1 bad | good'
    assert serialize(X, class_names=["no", "yes"], template="{a} {classes}") == ["1 no | yes"]


@pytest.mark.parametrize(
    "given, what, fixed",
    [
        (" two\nlines ", "with whitespace at its ends", "two lines"),  # was 'two\nlines'
        (" a | b ", "with whitespace at its ends", "a or b"),  # was 'a | b'
        ("two\nlines | x", "with a line break", "two lines or x"),  # was 'two lines | x'
        ("|a\u200b", "holding the invisible character U+200B", "a"),  # was '|a'
    ],
)
def test_the_verbalizer_an_error_suggests_is_one_the_prior_takes(given, what, fixed):
    # each check suggested a fix for its own fault only, which the next check refused
    X = pd.DataFrame({"a": [1]})
    given_text = re.escape(repr(given))
    message = rf"label 1 is {given_text}, {re.escape(what)}.*class_names=\{{1: '{fixed}'\}}\.$"
    with pytest.raises(ValueError, match=message):
        serialize(X, classes=[0, 1], class_names={1: given})
    assert serialize(X, classes=[0, 1], class_names={1: fixed}, template="{a} {classes}") == [
        f"1 no | {fixed}"
    ]


def test_an_unknown_template_field_names_the_closest_column_and_counts_the_rest():
    # the error listed the first 10 columns only, without saying there were more, so a
    # misspelt 'cholesterol' read as if X had no such column
    X = pd.DataFrame([range(12)], columns=[f"c{i}" for i in range(11)] + ["cholesterol"])
    message = (
        r"field 'cholestrol' is neither task, row, classes, options nor a column of X "
        r"\(\['c0', .*, 'c9'\] and 2 more; did you mean 'cholesterol'\?\)\.$"
    )
    with pytest.raises(ValueError, match=message):
        serialize(X, classes=[0, 1], template="{row} {cholestrol}")
    with pytest.raises(ValueError, match=r"column of X \(\['a'\]\)\.$"):  # nothing close
        serialize(pd.DataFrame({"a": [1]}), classes=[0, 1], template="{zzz}")


@pytest.mark.parametrize(
    "classes, error, message",
    [
        ("ab", TypeError, r"serialize: classes='ab' is one text; give one label per class"),
        (5, TypeError, r"serialize: classes=5 is not a list of labels; give one label per class"),
        (np.array([[0, 1]]), TypeError, r"classes=array\(\[\[0, 1\]\]\) is not a list of labels"),
        ([0, 0, 1], ValueError, r"serialize: classes holds 0 twice; give each label once"),
        (np.array(["a", "b", "a"]), ValueError, r"serialize: classes holds 'a' twice"),
    ],
)
def test_classes_that_are_no_list_of_distinct_labels_are_refused(classes, error, message):
    # 'ab' was read as the classes 'a' and 'b'; 5 and a 2-D array failed with Python's own
    # TypeError; [0, 0, 1] was refused as 'labels 0 and 0 have the same verbalizer', whose
    # fix (distinct class_names) is not the fault
    X = pd.DataFrame({"a": [1]})
    with pytest.raises(error, match=message + r".*e\.g\. classes=np\.unique\(y\)\.$"):
        serialize(X, classes=classes)


@pytest.mark.parametrize(
    "task, texts, error, message",
    [
        (None, ["no", "yes"], ValueError, r"task_description must be a task sentence .* got None"),
        ("", ["no", "yes"], ValueError, r"task_description must be a task sentence .* got ''"),
        ("T", "no", TypeError, r"class_texts must be a list of texts, .* got 'no'"),
        ("T", [0, 1], TypeError, r"class_texts must be a list of texts, .* got \[0, 1\]"),
    ],
)
def test_row_serializer_refuses_a_task_or_answers_it_would_write_wrongly(
    task, texts, error, message
):
    # None wrote the task line 'None', '' an empty first line, 'no' the options
    # 'n | o', and [0, 1] failed at the first call with 'sequence item 0: expected str'
    with pytest.raises(error, match=rf"^RowSerializer: {message}"):
        RowSerializer(task, texts)

"""The answer policy and the reply model shared by every front end. No discord here."""

from bot.answer.policy import Decision, Thresholds, decide
from bot.answer.reply import Answerer, Reply

__all__ = ["Answerer", "Decision", "Reply", "Thresholds", "decide"]

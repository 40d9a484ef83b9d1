"""The question bank, quizzes, attempts, answers and scoring."""

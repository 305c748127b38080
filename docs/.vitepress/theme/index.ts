// The default theme plus the workbook's own components, registered globally so any page can use them.
import type { Theme } from 'vitepress';
import DefaultTheme from 'vitepress/theme';
import BenchTable from './BenchTable.vue';
import ChapterMap from './ChapterMap.vue';
import ExerciseList from './ExerciseList.vue';
import Hints from './Hints.vue';
import './custom.css';

export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component('BenchTable', BenchTable);
    app.component('ChapterMap', ChapterMap);
    app.component('ExerciseList', ExerciseList);
    app.component('Hints', Hints);
  },
} satisfies Theme;
